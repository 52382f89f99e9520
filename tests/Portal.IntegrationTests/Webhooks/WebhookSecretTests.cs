using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Api;
using Portal.Testing;
using Portal.Webhooks;
using static Portal.IntegrationTests.Exports.ExportFlowTests;
using static Portal.IntegrationTests.Webhooks.WebhookApiTests;

namespace Portal.IntegrationTests.Webhooks;

/// <summary>Signing secrets are stored encrypted, and the calls a script could repeat or race are bounded.</summary>
public class WebhookSecretTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<WebhookEndpoint> RowAsync(Guid id)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.WebhookEndpoints.AsNoTracking().SingleAsync(e => e.Id == id, Cancellation);
    }

    [Fact]
    public async Task TheStoredSecretCannotBeReadFromTheDatabaseYetEveryEventIsSignedWithIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await portal.ApiClientForAsync(User("Selma Secret"));
        var (id, secret) = await RegisterAsync(client, receiver.Url, "export.completed");
        var registered = await RowAsync(id);
        var rotated = await client.PostAsync($"/api/v1/webhooks/{id}/rotate-secret", null, Cancellation);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("secret").GetString()!;
        var stored = await RowAsync(id);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation)).StatusCode);

        var test = await receiver.WaitForAsync(r => r.Body.Contains("\"webhook.test\"", StringComparison.Ordinal));
        test.Verify(secret);
        test.Verify(newSecret);
        foreach (var value in new[] { registered.Secret, stored.Secret, stored.PreviousSecret! })
        {
            Assert.DoesNotContain("whsec_", value, StringComparison.Ordinal);
            Assert.DoesNotContain(secret["whsec_".Length..], value, StringComparison.Ordinal);
            Assert.DoesNotContain(newSecret["whsec_".Length..], value, StringComparison.Ordinal);
        }
        Assert.Equal(registered.Secret, stored.PreviousSecret);
    }

    [Fact]
    public async Task SecretsStoredInClearBeforeTheEncryptionKeepSigningAndAreEncrypted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var owner = User("Leo Legacy");
        using var client = await portal.ApiClientForAsync(owner);
        var (upgradedId, upgradedSecret) = await InsertInClearAsync(owner, receiver.Url);
        var (plainId, plainSecret) = await InsertInClearAsync(owner, receiver.Url);

        // A row still in clear when its event is sent: the sender reads it as it is.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/webhooks/{plainId}/test", null, Cancellation)).StatusCode);
        var fromPlain = await receiver.WaitForAsync(r => r.Body.Contains(plainId.ToString(), StringComparison.Ordinal));
        // What the sender does once at start: every row in clear encrypted, this one included.
        var changed = await portal.Services.GetRequiredService<WebhookSecrets>().ProtectStoredAsync(Cancellation);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/webhooks/{upgradedId}/test", null, Cancellation)).StatusCode);
        var fromUpgraded = await receiver.WaitForAsync(r => r.Body.Contains(upgradedId.ToString(), StringComparison.Ordinal));

        fromPlain.Verify(plainSecret);
        fromUpgraded.Verify(upgradedSecret);
        Assert.True(changed >= 2, $"{changed} secrets encrypted");
        foreach (var (id, secret) in new[] { (upgradedId, upgradedSecret), (plainId, plainSecret) })
        {
            var row = await RowAsync(id);
            Assert.DoesNotContain(secret, row.Secret, StringComparison.Ordinal);
            Assert.Equal(secret, portal.Services.GetRequiredService<WebhookSecrets>().Reveal(row.Secret));
        }
    }

    [Fact]
    public async Task ASecondTestEventRightAfterTheFirstIsRefusedWith429AndRetryAfter()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await portal.ApiClientForAsync(User("Tessa Test"));
        var (id, _) = await RegisterAsync(client, receiver.Url, "export.completed");

        using var first = await client.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation);
        using var second = await client.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(10), second.Headers.RetryAfter?.Delta);
        Assert.Contains("one test event every 10 s", await second.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
        await receiver.WaitForAsync(r => r.Body.Contains("\"webhook.test\"", StringComparison.Ordinal));
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        Assert.Equal(1, await db.WebhookDeliveries.CountAsync(d => d.EndpointId == id, Cancellation));
    }

    [Fact]
    public async Task TwoRegistrationsRacingForTheLastPlaceCreateOneEndpoint()
    {
        var rendezvous = new CountRendezvous();
        using var racing = portal.WithWebHostBuilder(builder => builder
            .UseSetting("Webhooks:MaxEndpointsPerUser", "1")
            .ConfigureTestServices(services =>
            {
                services.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(rendezvous));
                services.ConfigureDbContext<PostgreSqlPortalDbContext>(o => o.AddInterceptors(rendezvous));
            }));
        var webhooks = racing.Services.GetRequiredService<WebhookService>();
        var owner = User("Rachel Race");
        string[] events = ["export.completed"];

        var outcomes = await Task.WhenAll(
            Task.Run(() => webhooks.RegisterAsync(owner, "https://receiver-a.example/hook", events, null, Cancellation), Cancellation),
            Task.Run(() => webhooks.RegisterAsync(owner, "https://receiver-b.example/hook", events, null, Cancellation), Cancellation));

        Assert.Single(outcomes.OfType<WebhookRegistration.Created>());
        var refused = Assert.Single(outcomes.OfType<WebhookRegistration.Invalid>());
        Assert.Contains("You have 1 webhooks already", refused.Errors["url"].Single(), StringComparison.Ordinal);
        Assert.Single(await webhooks.ListAsync(owner, null, Cancellation));
    }

    private async Task<(Guid Id, string Secret)> InsertInClearAsync(ExportUser owner, Uri url)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.NewGuid(),
            OwnerId = owner.Id,
            Url = url.ToString(),
            Events = "export.completed",
            Secret = WebhookSigning.NewSecret(),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(Cancellation);
        return (endpoint.Id, endpoint.Secret);
    }

    /// <summary>
    /// Holds each count of webhook endpoints until a second one arrives (or 2 s pass), so two registrations read the
    /// count at the same moment whenever nothing serializes them.
    /// </summary>
    private sealed class CountRendezvous : DbCommandInterceptor
    {
        private readonly TaskCompletionSource both = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int arrived;

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("COUNT(", StringComparison.Ordinal) && command.CommandText.Contains("\"WebhookEndpoints\"", StringComparison.Ordinal))
            {
                if (Interlocked.Increment(ref arrived) >= 2)
                {
                    both.TrySetResult();
                }
                await both.Task.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            return result;
        }
    }
}
