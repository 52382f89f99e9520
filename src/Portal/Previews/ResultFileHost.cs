using System.Net;
using System.Net.Http.Headers;
using DeviceStatus.Formats.Preview;
using Portal.Downloads;
using Portal.Security;
using Portal.Upstream;

namespace Portal.Previews;

/// <summary>
/// The portal's own calls to the file host (ranged reads, <c>HEAD</c>s, whole parts for a zip), through the guarded
/// download client. Each call counts against the upstream call budget, here and nowhere else.
/// </summary>
public sealed class ResultFileHost(IHttpClientFactory httpClients, IUpstreamBudget budget, TimeProvider time)
{
    /// <summary>The file's size from a <c>HEAD</c>, or null when the host does not say.</summary>
    public async Task<long?> SizeAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, url);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.IsSuccessStatusCode ? response.Content.Headers.ContentLength : null;
    }

    /// <summary>
    /// The file's size from a ranged <c>GET</c> of its first byte (the contract documents ranged reads, not <c>HEAD</c>):
    /// the total of the <c>Content-Range</c>, or the <c>Content-Length</c> of a host that sends the whole file; null
    /// when the host does not say.
    /// </summary>
    public async Task<long?> MeasureAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(0, 0);
        // Only the headers are read; disposing the answer drops whatever body a host without ranges started to send.
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable => response.Content.Headers.ContentRange?.Length,
            HttpStatusCode.OK => response.Content.Headers.ContentLength,
            _ => null,
        };
    }

    /// <summary>The whole file, its headers read and its body still to stream; the caller disposes it.</summary>
    public Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>A file as ranged reads; <paramref name="sizeLearned"/> hears the file's size from the first answer.</summary>
    public IRangeSource Ranges(Uri url, Action<long> sizeLearned) => new RangedFile(this, url, sizeLearned);

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (!await budget.TryTakeForUserAsync(time.GetUtcNow(), cancellationToken))
        {
            throw new PreviewProblemException("The portal has used the calls to the device platform that files may take this minute; try again in a moment.");
        }
        try
        {
            return await httpClients.CreateClient(DownloadEndpoints.HttpClientName).SendAsync(request, completion, cancellationToken);
        }
        catch (OutboundRequestRefusedException)
        {
            throw new PreviewProblemException("The file's host is not one the portal may fetch from (Downloads:AllowedHosts).");
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PreviewProblemException("The file host did not answer; try again in a moment.", ex);
        }
    }

    private sealed class RangedFile(ResultFileHost host, Uri url, Action<long> sizeLearned) : IRangeSource
    {
        private bool _sizeKnown;

        public async Task<RangeAnswer> ReadAsync(long? offset, int length, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Range = offset is { } from ? new RangeHeaderValue(from, from + length - 1) : new RangeHeaderValue(null, length);
            using var response = await host.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var range = response.Content.Headers.ContentRange;
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && range?.Length is { } size)
            {
                Learn(size);
                return new RangeAnswer(size, [], size);
            }

            if (response.StatusCode is not (HttpStatusCode.PartialContent or HttpStatusCode.OK))
            {
                throw new PreviewProblemException(response.StatusCode == HttpStatusCode.NotFound
                    ? "The device platform no longer keeps this file."
                    : $"The file host answered {(int)response.StatusCode}; try again in a moment.");
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                // A host without ranges sends the whole file: take the part asked for, and only while it fits the call.
                var whole = response.Content.Headers.ContentLength ?? -1;
                if (whole < 0 || whole > Math.Max(length, RangeCacheStream.MinFetch))
                {
                    throw new PreviewProblemException("The file host does not answer ranged reads, so this file cannot be previewed.");
                }

                var all = await ReadAtMostAsync(response.Content, (int)whole, cancellationToken);
                Learn(all.Length);
                var start = (int)Math.Min(all.Length, offset ?? Math.Max(0, all.Length - length));
                return new RangeAnswer(start, all[start..(int)Math.Min(all.Length, start + (long)length)], all.Length);
            }

            if (range is not { From: { } first, Length: { } total })
            {
                throw new PreviewProblemException("The file host answered a ranged read without saying which bytes it sent.");
            }

            Learn(total);
            // Never more than was asked for, whatever the host sends: a preview's memory is bounded by its reads.
            var bytes = await ReadAtMostAsync(response.Content, length, cancellationToken);
            return new RangeAnswer(first, bytes, total);
        }

        /// <summary>The body, failing as soon as it runs past <paramref name="max"/> bytes instead of holding it.</summary>
        private static async Task<byte[]> ReadAtMostAsync(HttpContent content, int max, CancellationToken cancellationToken)
        {
            if (content.Headers.ContentLength > max)
            {
                throw new PreviewProblemException($"The file host sent more than the {max} bytes asked for, so this file cannot be previewed.");
            }
            await using var body = await content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[max];
            var filled = 0;
            int read;
            while (filled < max && (read = await body.ReadAsync(buffer.AsMemory(filled, max - filled), cancellationToken)) > 0)
            {
                filled += read;
            }
            if (filled == max && await body.ReadAsync(new byte[1], cancellationToken) > 0)
            {
                throw new PreviewProblemException($"The file host sent more than the {max} bytes asked for, so this file cannot be previewed.");
            }
            return filled == max ? buffer : buffer[..filled];
        }

        private void Learn(long size)
        {
            if (!_sizeKnown)
            {
                _sizeKnown = true;
                sizeLearned(size);
            }
        }
    }
}
