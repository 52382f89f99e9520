using System.Net;
using Portal.Downloads;
using Portal.Security;
using Portal.Upstream;

namespace Portal.Destinations;

/// <summary>
/// A completed export's files as a delivery reads them: links from <see cref="IDownloadLinks"/> (the one renewal, whose
/// upstream call goes through the budget), and each file streamed from the file host through the download client,
/// taking one call from the users' part of the upstream budget as the portal's other reads of result files do.
/// </summary>
public sealed class ResultFileSource(IServiceScopeFactory scopes, IHttpClientFactory httpClients, IUpstreamBudget budget, TimeProvider time)
{
    private const string Operation = "Deliver";

    /// <summary>The export's files with links valid now; <paramref name="renew"/> asks upstream for new links whatever their expiry.</summary>
    public async Task<ResultFileSet?> FilesAsync(ExportUser owner, Guid exportId, bool renew, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var links = scope.ServiceProvider.GetRequiredService<IDownloadLinks>();
        return renew
            ? await links.RenewFilesAsync(owner, exportId, Operation, cancellationToken)
            : await links.GetFilesAsync(owner, exportId, Operation, cancellationToken);
    }

    /// <summary>
    /// The file's answer with its headers read and its body still to stream (the caller disposes it). Throws
    /// <see cref="LinkRefusedException"/> when the host refuses the link (expired or revoked), <see cref="DeliveryProblemException"/>
    /// for anything else, and <see cref="BudgetFullException"/> when the budget has no room now.
    /// </summary>
    public async Task<HttpResponseMessage> OpenAsync(Uri url, string fileName, CancellationToken cancellationToken)
    {
        if (!await budget.TryTakeForUserAsync(time.GetUtcNow(), cancellationToken))
        {
            throw new BudgetFullException();
        }
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            response = await httpClients.CreateClient(DownloadEndpoints.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (OutboundRequestRefusedException)
        {
            throw new DeliveryProblemException($"The host of {fileName} is not one the portal may fetch from (Downloads:AllowedHosts).", permanent: true);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new DeliveryProblemException($"The file host did not answer for {fileName}.", permanent: false, ex);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        var status = response.StatusCode;
        response.Dispose();
        throw status switch
        {
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized or HttpStatusCode.Gone => new LinkRefusedException(),
            HttpStatusCode.NotFound => new DeliveryProblemException($"The device platform no longer keeps {fileName}.", permanent: true),
            _ => new DeliveryProblemException($"The file host answered {(int)status} for {fileName}.", permanent: false),
        };
    }
}

/// <summary>A delivery's attempt failed for a reason in words; <see cref="Permanent"/> when trying again cannot help.</summary>
public sealed class DeliveryProblemException : Exception
{
    public DeliveryProblemException()
    {
    }

    public DeliveryProblemException(string message)
        : base(message)
    {
    }

    public DeliveryProblemException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public DeliveryProblemException(string message, bool permanent, Exception? innerException = null)
        : base(message, innerException)
    {
        Permanent = permanent;
    }

    public bool Permanent { get; }
}

/// <summary>The file host refused a result file's link: it expired or was revoked, and a new one is asked for.</summary>
public sealed class LinkRefusedException : Exception
{
    public LinkRefusedException()
        : base("The file host refused the link.")
    {
    }

    public LinkRefusedException(string message)
        : base(message)
    {
    }

    public LinkRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The upstream budget has no room for a file's download now: the delivery waits, without counting an attempt.</summary>
public sealed class BudgetFullException : Exception
{
    public BudgetFullException()
        : base("The upstream budget has no room for a download now.")
    {
    }

    public BudgetFullException(string message)
        : base(message)
    {
    }

    public BudgetFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
