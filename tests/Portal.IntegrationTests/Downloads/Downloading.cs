using Microsoft.AspNetCore.Mvc.Testing;
using Portal.Exports;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Downloads;

internal static class Downloading
{
    public static string FilePath(Guid id, int part = 0) => $"/exports/{id}/files/{part}";

    /// <summary>A client that does not follow redirects, signed in as <paramref name="user"/> (anonymous when null).</summary>
    public static HttpClient ClientFor(this PortalFactory portal, ExportUser? user)
    {
        var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(TestAuthentication.Header, TestAuthentication.For(user));
        }
        return client;
    }

    /// <summary>Submits a CSV export of one day for <paramref name="owner"/> and waits until the engine has it completed.</summary>
    public static async Task<Guid> CompletedExportAsync(this PortalFactory portal, ExportUser owner, int daysAgo = 2)
    {
        var id = Accepted(await portal.Exports().SubmitAsync(owner, Day(daysAgo), FileFormat.Csv, TestContext.Current.CancellationToken));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        return id;
    }

    /// <summary>The <c>expires</c> of a pre-signed URL (Unix seconds).</summary>
    public static long Expires(Uri url)
    {
        var value = url.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("expires=", StringComparison.Ordinal))["expires=".Length..];
        return long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
