using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Portal.Testing;

/// <summary>One POST a <see cref="WebhookReceiver"/> got, and the status it answered.</summary>
public sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, string Body, int AnsweredWith)
{
    /// <summary>
    /// Checks the signature with the Standard Webhooks reference library; throws when no entry of the header verifies.
    /// Each entry is checked on its own: StandardWebhooks 1.1.2 reads only the first entry of a header with several.
    /// </summary>
    public void Verify(string secret)
    {
        var webhook = new StandardWebhook(secret);
        var entries = (Signature ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var entry in entries)
        {
            try
            {
                webhook.Verify(Body, new HeaderDictionary
                {
                    ["webhook-id"] = Id,
                    ["webhook-timestamp"] = Timestamp,
                    ["webhook-signature"] = entry,
                });
                return;
            }
            catch (StandardWebhooks.Diagnostics.WebhookVerificationException) when (entry != entries[^1])
            {
            }
        }
        throw new StandardWebhooks.Diagnostics.WebhookVerificationException("No signature entry verifies.");
    }
}

/// <summary>A webhook receiver on a loopback Kestrel port: records every POST to <c>/hook</c>, answers 503 while told to fail.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<ReceivedWebhook> received = new();
    private int failuresLeft;

    private WebhookReceiver(WebApplication app, int failFirst)
    {
        this.app = app;
        failuresLeft = failFirst;
    }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<ReceivedWebhook> Received => [.. received];

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, failFirst);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var status = Interlocked.Decrement(ref receiver.failuresLeft) >= 0 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status204NoContent;
            var headers = context.Request.Headers;
            receiver.received.Enqueue(new ReceivedWebhook(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body, status));
            context.Response.StatusCode = status;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hook");
        return receiver;
    }

    /// <summary>Waits for a POST that satisfies <paramref name="condition"/>; fails with what arrived after the deadline.</summary>
    public async Task<ReceivedWebhook> WaitForAsync(Func<ReceivedWebhook, bool> condition, TimeSpan? timeout = null) =>
        (await Eventually.ReturnsAsync(
            () => Task.FromResult(received.FirstOrDefault(condition)),
            match => match is not null,
            "a matching webhook",
            timeout,
            _ => $"received {received.Count}: {string.Join(" | ", received.Select(r => $"{r.AnsweredWith} {r.Body}"))}"))!;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
