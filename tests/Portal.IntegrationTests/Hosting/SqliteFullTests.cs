using System.Data.Common;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Api;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Hosting;

/// <summary>
/// SQLite's file full (what a full disk gives, made with SQLite's own page limit on the portal's connections): the
/// action is refused with a clear answer, the database stays sound, and work resumes once there is room again. SQLite
/// whatever engine the run uses.
/// </summary>
public class SqliteFullTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFullDatabaseRefusesASubmissionClearlyAndTakesItOnceThereIsRoomAgain()
    {
        var file = Path.Combine(Path.GetTempPath(), "portal-integration", $"full-{Guid.NewGuid():N}.db");
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Portal"] = $"Data Source={file}",
            ["Exports:MaxSubmissionsPerMinute"] = "1000",
        });
        var limit = new PageLimit();
        var limited = portal.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<PortalDbContext>(options => options.AddInterceptors(limit))));
        var alice = User("Alice");
        using var api = limited.CreateClient();
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await portal.TokenForAsync(alice));
        var before = Accepted(await portal.Exports().SubmitAsync(alice, Day(), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(before, ExportStatus.Completed);

        // No more pages than the file has now: the next write that needs one fails as on a full disk.
        limit.Pages = 1;
        SqliteConnection.ClearAllPools();
        HttpResponseMessage refused;
        var tries = 0;
        do
        {
            refused = await api.CreateAsync(Day(3));
        }
        while (refused.StatusCode == HttpStatusCode.Created && ++tries < 500);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Cancellation));
        Assert.Contains("database is full", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Room again: the same call is taken, and the file is sound.
        limit.Pages = null;
        SqliteConnection.ClearAllPools();
        var created = await api.CreateAsync(Day(3));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync(Cancellation);
        await using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await check.ExecuteScalarAsync(Cancellation));
    }

    /// <summary>Sets <c>PRAGMA max_page_count</c> on every connection the portal opens while <see cref="Pages"/> is set.</summary>
    private sealed class PageLimit : DbConnectionInterceptor
    {
        public int? Pages { get; set; }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (Pages is { } pages)
            {
                // SQLite raises a limit below the file's size to that size.
                await using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA max_page_count = {pages}";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            if (Pages is { } pages)
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA max_page_count = {pages}";
                command.ExecuteNonQuery();
            }
        }
    }
}
