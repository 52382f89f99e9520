using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Portal.Benchmarks;

/// <summary>
/// A browser's Blazor Server circuit without the browser, as blazor.web.js opens one: load the prerendered page, read
/// its component markers (<c>&lt;!--Blazor:{...}--&gt;</c>) and its persisted state, open <c>/_blazor</c> over
/// WebSockets with the blazorpack protocol, <c>StartCircuit</c> with no components, then add the page's root
/// components with <c>UpdateRootComponents</c>. Every <c>JS.RenderBatch</c> is acknowledged with
/// <c>OnRenderCompleted</c> (the server holds back later batches until it is) and every JS call that waits for an
/// answer gets an empty one. A batch is not applied to any DOM: <see cref="BatchReceived"/> sees its bytes.
/// </summary>
public sealed partial class BlazorCircuit : IAsyncDisposable
{
    private readonly HubConnection connection;
    private readonly string pageUrl;
    private readonly string baseUrl;

    private BlazorCircuit(HubConnection connection, string baseUrl, string pageUrl)
    {
        this.connection = connection;
        this.baseUrl = baseUrl;
        this.pageUrl = pageUrl;
        connection.On<long, byte[]>("JS.RenderBatch", OnRenderBatchAsync);
        connection.On("JS.BeginInvokeJS", [typeof(long), typeof(string), typeof(string), typeof(int), typeof(long)], OnBeginInvokeJSAsync);
        connection.On<string>("JS.Error", error => Error = error);
    }

    /// <summary>Called with each render batch's bytes (the renderer's string table is UTF-8) as it arrives.</summary>
    public Action<ReadOnlyMemory<byte>>? BatchReceived { get; set; }

    /// <summary>The last error the server reported on this circuit, if any.</summary>
    public string? Error { get; private set; }

    public int Batches => Volatile.Read(ref batches);

    private int batches;

    /// <summary>Loads <paramref name="page"/> with <paramref name="cookie"/> and starts its circuit.</summary>
    public static async Task<BlazorCircuit> StartAsync(HttpClient http, Uri page, string cookie, Action<ReadOnlyMemory<byte>>? batchReceived, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, page);
        request.Headers.Add("Cookie", cookie);
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var html = await response.Content.ReadAsStringAsync(cancellationToken);
        var markers = Markers(html);
        if (markers.Count == 0)
        {
            throw new InvalidOperationException($"{page} holds no interactive server components.");
        }
        var state = ServerState().Match(html) is { Success: true } m ? m.Groups[1].Value : "";

        var baseUri = new Uri(page, "/");
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseUri, "_blazor"), HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                o.Headers["Cookie"] = cookie;
            })
            // blazor.web.js names the MessagePack protocol "blazorpack"; the server accepts only that name on /_blazor.
            .AddMessagePackProtocol()
            .Build();
        // Thousands of connections opening on two busy cores: the defaults (15 s, 30 s) would give up on a slow answer.
        connection.HandshakeTimeout = TimeSpan.FromMinutes(2);
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        var circuit = new BlazorCircuit(connection, baseUri.ToString(), page.ToString()) { BatchReceived = batchReceived };
        try
        {
            await connection.StartAsync(cancellationToken);
            var id = await connection.InvokeAsync<string?>("StartCircuit", circuit.baseUrl, circuit.pageUrl, "[]", state, cancellationToken);
            if (string.IsNullOrEmpty(id))
            {
                throw new InvalidOperationException($"The server refused the circuit of {page}: {circuit.Error}");
            }
            var operations = new JsonObject
            {
                ["batchId"] = 1,
                ["operations"] = new JsonArray([.. markers.Select((marker, i) => (JsonNode)new JsonObject
                {
                    ["type"] = "add",
                    ["ssrComponentId"] = i + 1,
                    ["marker"] = marker,
                })]),
            };
            await connection.SendAsync("UpdateRootComponents", operations.ToJsonString(), state, cancellationToken);
            return circuit;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static List<JsonNode> Markers(string html)
    {
        var markers = new List<JsonNode>();
        foreach (Match match in ComponentMarker().Matches(html))
        {
            var node = JsonNode.Parse(WebUtility.HtmlDecode(match.Groups[1].Value));
            if (node?["type"]?.GetValue<string>() == "server" && node["descriptor"] is not null)
            {
                markers.Add(node);
            }
        }
        return [.. markers.OrderBy(m => m["sequence"]!.GetValue<int>())];
    }

    private async Task OnRenderBatchAsync(long batchId, byte[] batch)
    {
        Interlocked.Increment(ref batches);
        BatchReceived?.Invoke(batch);
        await connection.SendAsync("OnRenderCompleted", batchId, null);
    }

    [SuppressMessage("Style", "IDE0060", Justification = "The arguments of JS.BeginInvokeJS, of which only the handle is needed.")]
    private async Task OnBeginInvokeJSAsync(object?[] arguments)
    {
        // A call whose handle is 0 waits for no answer; the others get null, as from a function that returns nothing.
        var handle = (long)arguments[0]!;
        if (handle != 0)
        {
            await connection.SendAsync("EndInvokeJSFromDotNet", handle, true, $"[{handle},true,null]");
        }
    }

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();

    [GeneratedRegex("<!--Blazor:(\\{.*?\\})-->", RegexOptions.Singleline)]
    private static partial Regex ComponentMarker();

    [GeneratedRegex("<!--Blazor-Server-Component-State:([a-zA-Z0-9+/=]+)-->")]
    private static partial Regex ServerState();
}

/// <summary>The MessagePack hub protocol under the name Blazor's hub speaks.</summary>
internal static class BlazorPackExtensions
{
    public static IHubConnectionBuilder AddMessagePackProtocol(this IHubConnectionBuilder builder)
    {
        builder.Services.RemoveAll<IHubProtocol>();
        builder.Services.AddSingleton<IHubProtocol>(new BlazorPackProtocol(new MessagePackHubProtocol(Options.Create(new MessagePackHubProtocolOptions()))));
        return builder;
    }

    private sealed class BlazorPackProtocol(MessagePackHubProtocol inner) : IHubProtocol
    {
        public string Name => "blazorpack";

        public int Version => inner.Version;

        public TransferFormat TransferFormat => inner.TransferFormat;

        public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
            inner.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);
    }
}
