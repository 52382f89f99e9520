using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Portal.IntegrationTests.Downloads;

/// <summary>
/// A stand-in for the vendor's file storage on a real loopback port (the simulator's <c>DownloadBaseUrl</c>): serves
/// any path under <see cref="BaseAddress"/> as one generated file of <see cref="Length"/> bytes (byte i is
/// <c>i % 251</c>) with the headers the upstream sends, and honours a single range. The real simulator would need
/// millions of rows for a file this size; only the portal's streaming is under test.
/// </summary>
public sealed class FileHost : IAsyncDisposable
{
    public const string ETag = "\"part-00000-v1\"";

    private readonly WebApplication _app;

    private FileHost(WebApplication app, long length)
    {
        _app = app;
        Length = length;
    }

    public long Length { get; }

    /// <summary>Requests that reached the host.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public Uri BaseAddress { get; private set; } = default!;

    /// <summary>The media type the host claims for its files.</summary>
    public string ContentType { get; set; } = "text/csv; charset=utf-8";

    /// <summary>When set, every request waits for it before it is answered (a slow host holding its callers).</summary>
    public Task? Hold { get; set; }

    /// <summary>The disposition the host asks for; its own file name is appended.</summary>
    public string Disposition { get; set; } = "attachment";

    public static async Task<FileHost> StartAsync(long length, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var host = new FileHost(app, length);
        app.MapGet("/results/{**path}", host.ServeAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.BaseAddress = new Uri(address.TrimEnd('/') + "/results");
        return host;
    }

    private async Task ServeAsync(string path, HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Hold is { } hold)
        {
            await hold.WaitAsync(context.RequestAborted);
        }
        var name = path.Split('/')[^1];
        long from = 0, to = Length - 1;
        var range = context.Request.GetTypedHeaders().Range;
        if (range?.Ranges.SingleOrDefault() is { From: { } beyond } && beyond >= Length)
        {
            // As storage hosts answer a range past the end: 416, the length, and an empty body.
            context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            context.Response.Headers.ContentRange = $"bytes */{Length}";
            context.Response.ContentLength = 0;
            return;
        }
        if (range?.Ranges.SingleOrDefault() is { From: { } start } single)
        {
            from = start;
            to = Math.Min(single.To ?? Length - 1, Length - 1);
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = new ContentRangeHeaderValue(from, to, Length).ToString();
        }
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = to - from + 1;
        context.Response.Headers.ContentDisposition = $"{Disposition}; filename=\"{name}\"";
        context.Response.Headers.ETag = ETag;
        context.Response.Headers.AcceptRanges = "bytes";

        var chunk = new byte[64 * 1024];
        var position = from;
        while (position <= to)
        {
            var count = (int)Math.Min(chunk.Length, to - position + 1);
            for (var i = 0; i < count; i++)
            {
                chunk[i] = (byte)((position + i) % 251);
            }
            await context.Response.Body.WriteAsync(chunk.AsMemory(0, count), context.RequestAborted);
            position += count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
