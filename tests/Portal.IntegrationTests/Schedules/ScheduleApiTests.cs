using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Exports;
using Portal.IntegrationTests.Exports;

using Portal.IntegrationTests.Api;

namespace Portal.IntegrationTests.Schedules;

public class ScheduleApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private Task<HttpClient> ClientForAsync(ExportUser user) => portal.ApiClientForAsync(user);

    private static object Nightly(string name) => new
    {
        name, format = "PARQUET", range = "previous-day", recurrence = "weekly", time = "02:30", days = new[] { "mon", "fri" }, timeZone = "Europe/Berlin",
    };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

    [Fact]
    public async Task AScriptCreatesListsReadsEditsPausesResumesAndDeletesItsSchedule()
    {
        using var client = await ClientForAsync(ExportFlowTests.User("ApiCarol"));

        using var created = await client.PostAsJsonAsync("/api/v1/schedules", Nightly("nightly parquet"), Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var schedule = await JsonAsync(created);
        var id = schedule.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/schedules/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("30 2 * * 1,5", schedule.GetProperty("cron").GetString());
        Assert.Equal("Weekly on Mon, Fri at 02:30, the previous day", schedule.GetProperty("description").GetString());
        Assert.False(schedule.GetProperty("paused").GetBoolean());

        var list = await JsonAsync(await client.GetAsync("/api/v1/schedules", Cancellation));
        Assert.Equal(id, Assert.Single(list.EnumerateArray()).GetProperty("id").GetGuid());

        using var edited = await client.PutAsJsonAsync($"/api/v1/schedules/{id}",
            new { name = "hourly csv", format = "CSV", range = "last-hours", hours = 2, recurrence = "cron", cron = "0 * * * *", timeZone = "Europe/Berlin" }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal("0 * * * *", (await JsonAsync(edited)).GetProperty("cron").GetString());

        using var paused = await client.PostAsync($"/api/v1/schedules/{id}/pause", null, Cancellation);
        Assert.True((await JsonAsync(paused)).GetProperty("paused").GetBoolean());
        using var resumed = await client.PostAsync($"/api/v1/schedules/{id}/resume", null, Cancellation);
        Assert.False((await JsonAsync(resumed)).GetProperty("paused").GetBoolean());

        var read = await JsonAsync(await client.GetAsync($"/api/v1/schedules/{id}", Cancellation));
        Assert.Equal(
            ["Created: Weekly on Mon, Fri at 02:30 (Europe/Berlin), the previous day, PARQUET.", "Edited: Cron 0 * * * * (Europe/Berlin), the last 2 hours, CSV.", "Paused by ApiCarol.", "Resumed."],
            read.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("text").GetString()).Reverse());

        using var deleted = await client.DeleteAsync($"/api/v1/schedules/{id}", Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync($"/api/v1/schedules/{id}", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task AnotherUsersScheduleIsNotFoundWhileAnAdminSeesAndPausesIt()
    {
        using var owner = await ClientForAsync(ExportFlowTests.User("ApiDora"));
        using var other = await ClientForAsync(ExportFlowTests.User("ApiEve"));
        using var admin = await ClientForAsync(ExportFlowTests.User("ApiAdmin", admin: true));
        using var created = await owner.PostAsJsonAsync("/api/v1/schedules", Nightly("dora's"), Cancellation);
        var id = (await JsonAsync(created)).GetProperty("id").GetGuid();

        foreach (var response in new[]
        {
            await other.GetAsync($"/api/v1/schedules/{id}", Cancellation),
            await other.PostAsync($"/api/v1/schedules/{id}/pause", null, Cancellation),
            await other.PutAsJsonAsync($"/api/v1/schedules/{id}", Nightly("eve's now"), Cancellation),
            await other.DeleteAsync($"/api/v1/schedules/{id}", Cancellation),
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            response.Dispose();
        }
        Assert.Empty((await JsonAsync(await other.GetAsync("/api/v1/schedules", Cancellation))).EnumerateArray());

        var all = await JsonAsync(await admin.GetAsync("/api/v1/schedules", Cancellation));
        Assert.Contains(all.EnumerateArray(), s => s.GetProperty("id").GetGuid() == id && s.GetProperty("ownerName").GetString() == "ApiDora");
        using var paused = await admin.PostAsync($"/api/v1/schedules/{id}/pause", null, Cancellation);
        var schedule = await JsonAsync(paused);
        Assert.True(schedule.GetProperty("paused").GetBoolean());
        Assert.Equal("Paused by ApiAdmin (admin).", schedule.GetProperty("pauseReason").GetString());
    }

    [Fact]
    public async Task BadInputIsAProblemThatNamesEachFieldToFix()
    {
        using var client = await ClientForAsync(ExportFlowTests.User("ApiFrank"));

        using var response = await client.PostAsJsonAsync("/api/v1/schedules",
            new { name = "", format = "XLSX", recurrence = "cron", cron = "every day", timeZone = "Europe/Berlin" }, Cancellation);
        using var badCron = await client.PostAsJsonAsync("/api/v1/schedules",
            new { name = "x", recurrence = "cron", cron = "every day", timeZone = "Nowhere/Atlantis" }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Unknown format 'XLSX'", (await JsonAsync(response)).GetProperty("errors").GetProperty("format")[0].GetString(), StringComparison.Ordinal);
        var errors = (await JsonAsync(badCron)).GetProperty("errors");
        Assert.Contains("five fields", errors.GetProperty("cron")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("Nowhere/Atlantis", errors.GetProperty("timeZoneId")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("* * * * *")]
    [InlineData("*/30 * * * *")]
    [InlineData("0,59 9 * * *")]
    public async Task AScheduleRunningMoreOftenThanTheMinimumIntervalIsRefusedNamingTheMinimum(string cron)
    {
        using var client = await ClientForAsync(ExportFlowTests.User("ApiFrank"));

        using var response = await client.PostAsJsonAsync("/api/v1/schedules",
            new { name = "too often", recurrence = "cron", cron, timeZone = "UTC" }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var message = (await JsonAsync(response)).GetProperty("errors").GetProperty("cron")[0].GetString();
        Assert.Contains("at least 1 hour apart", message, StringComparison.Ordinal);
        Assert.Contains("Schedules:MinimumInterval", message, StringComparison.Ordinal);
        var list = await JsonAsync(await client.GetAsync("/api/v1/schedules", Cancellation));
        Assert.Empty(list.EnumerateArray());
    }

    [Fact]
    public async Task AnHourlyScheduleMeetsTheMinimumInterval()
    {
        using var client = await ClientForAsync(ExportFlowTests.User("ApiGrace"));

        using var response = await client.PostAsJsonAsync("/api/v1/schedules",
            new { name = "hourly", recurrence = "cron", cron = "0 * * * *", timeZone = "Europe/Berlin" }, Cancellation);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
