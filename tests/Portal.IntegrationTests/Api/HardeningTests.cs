using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.IntegrationTests.Downloads;
using Portal.Previews;
using Portal.Testing;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>
/// A portal in Proxy mode whose vendor names its file <c>..%2F..%2Fx.csv</c> (the status answer is rewritten at the
/// portal's client edge; the file itself comes from a real HTTP file host), with a configured public address.
/// </summary>
public sealed class HardenedPortal : IAsyncLifetime
{
    public const string PublicUrl = "https://exports.example.com";

    public const string VendorFileName = "..%2F..%2Fx.csv";

    public static readonly ExportUser Owner = User("Hanna");

    public FileHost Files { get; private set; } = default!;

    public PortalFactory Portal { get; private set; } = default!;

    public Guid ExportId { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Files = await FileHost.StartAsync(4096, TestContext.Current.CancellationToken);
        var recorder = new UpstreamRecorder { RewriteStatus = body => body.Replace("part-00000.csv", VendorFileName, StringComparison.Ordinal) };
        Portal = await PortalFactory.StartAsync(
            options => options.DownloadBaseUrl = Files.BaseAddress.ToString(),
            new Dictionary<string, string?>
            {
                ["Downloads:Mode"] = "Proxy",
                ["Downloads:AllowedHosts:0"] = Files.BaseAddress.Authority,
                ["Webhooks:PortalBaseUrl"] = PublicUrl,
            },
            recorder: recorder);
        ExportId = await Portal.CompletedExportAsync(Owner);
    }

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Files.DisposeAsync();
    }
}

public sealed class HardeningTests(HardenedPortal fixture) : IClassFixture<HardenedPortal>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private PortalFactory Portal => fixture.Portal;

    [Fact]
    public async Task AVendorFileNamedOutsideItsFolderComesOutAsOneSafeNameInTheApiTheHeaderAndTheZip()
    {
        Assert.Equal("../../x.csv", (await Portal.RowAsync(fixture.ExportId)).Files.Single().Name);
        using var api = await Portal.ApiClientForAsync(HardenedPortal.Owner);

        var details = await JsonAsync(await api.GetAsync($"{ExportsPath}/{fixture.ExportId}", Cancellation));
        var apiName = Assert.Single(details.GetProperty("files").EnumerateArray()).GetProperty("name").GetString()!;
        using var download = await api.GetAsync($"{ExportsPath}/{fixture.ExportId}/files/0", Cancellation);
        using var page = Portal.ClientFor(HardenedPortal.Owner);
        using var zipResponse = await page.GetAsync($"/exports/{fixture.ExportId}/files/all.zip", Cancellation);
        using var zip = new ZipArchive(await zipResponse.Content.ReadAsStreamAsync(Cancellation), ZipArchiveMode.Read);

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(HttpStatusCode.OK, zipResponse.StatusCode);
        var headerName = download.Content.Headers.ContentDisposition?.FileName?.Trim('"');
        var entryName = Assert.Single(zip.Entries).FullName;
        Assert.Equal(apiName, headerName);
        Assert.Equal(apiName, entryName);
        Assert.StartsWith("device-status_CSV_", apiName, StringComparison.Ordinal);
        Assert.EndsWith("_x.csv", apiName, StringComparison.Ordinal);
        Assert.Equal(apiName, Path.GetFileName(apiName));
        Assert.DoesNotContain("..", apiName, StringComparison.Ordinal);
        Assert.DoesNotContain('\\', apiName);
    }

    [Fact]
    public async Task AnUnsatisfiableRangeInProxyModeIs416WithAProblemBodyOnTheApiAndBareOnThePage()
    {
        using var api = await Portal.ApiClientForAsync(HardenedPortal.Owner);
        using var apiRequest = new HttpRequestMessage(HttpMethod.Get, $"{ExportsPath}/{fixture.ExportId}/files/0");
        apiRequest.Headers.Range = new RangeHeaderValue(999_999_999, null);
        using var pageRequest = new HttpRequestMessage(HttpMethod.Get, Downloading.FilePath(fixture.ExportId));
        pageRequest.Headers.Range = new RangeHeaderValue(999_999_999, null);

        using var fromApi = await api.SendAsync(apiRequest, Cancellation);
        using var pageClient = Portal.ClientFor(HardenedPortal.Owner);
        using var fromPage = await pageClient.SendAsync(pageRequest, Cancellation);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, fromApi.StatusCode);
        Assert.Equal("application/problem+json", fromApi.Content.Headers.ContentType?.MediaType);
        Assert.Equal(416, (await JsonAsync(fromApi)).GetProperty("status").GetInt32());
        Assert.Equal("bytes */4096", fromApi.Content.Headers.ContentRange?.ToString());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, fromPage.StatusCode);
        Assert.Empty(await fromPage.Content.ReadAsByteArrayAsync(Cancellation));
    }

    [Fact]
    public async Task LinksAndReportingEndpointsUseThePublicAddressWhateverTheHostHeaderSays()
    {
        using var api = await Portal.ApiClientForAsync(HardenedPortal.Owner);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ExportsPath}/{fixture.ExportId}");
        request.Headers.Host = "evil.example";
        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Host = "evil.example";

        using var response = await api.SendAsync(request, Cancellation);
        using var anonymous = Portal.ClientFor(null);
        using var pageResponse = await anonymous.SendAsync(page, Cancellation);

        var body = await JsonAsync(response);
        Assert.Equal($"{HardenedPortal.PublicUrl}/api/v1/exports/{fixture.ExportId}", body.GetProperty("links").GetProperty("self").GetString());
        Assert.Equal($"{HardenedPortal.PublicUrl}/exports/{fixture.ExportId}", body.GetProperty("links").GetProperty("page").GetString());
        Assert.Equal($"{HardenedPortal.PublicUrl}/api/v1/exports/{fixture.ExportId}/files/0",
            Assert.Single(body.GetProperty("files").EnumerateArray()).GetProperty("url").GetString());
        var reporting = pageResponse.Headers.GetValues("Reporting-Endpoints").Single();
        Assert.Contains($"\"{HardenedPortal.PublicUrl}/", reporting, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", reporting, StringComparison.Ordinal);
    }

    [Fact]
    public void KestrelSendsNoServerHeader() =>
        Assert.False(Portal.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.AddServerHeader);

    [Fact]
    public async Task AZipBeyondTheUsersLimitAnswers429WhileTheOthersFinish()
    {
        var user = User("Zoe");
        var id = await Portal.CompletedExportAsync(user, daysAgo: 3);
        var limit = Portal.Services.GetRequiredService<IOptions<PreviewOptions>>().Value.MaxConcurrentZipsPerUser;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = fixture.Files.Requests;
        fixture.Files.Hold = hold.Task;
        try
        {
            using var client = Portal.ClientFor(user);
            var running = Enumerable.Range(0, limit)
                .Select(_ => client.GetAsync($"/exports/{id}/files/all.zip", Cancellation)).ToList();
            await Eventually.HoldsAsync(() => fixture.Files.Requests >= before + limit, "the zips to reach the file host");

            // Refused at once, not queued behind the held ones.
            using var soon = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            soon.CancelAfter(TimeSpan.FromSeconds(20));
            using var refused = await client.GetAsync($"/exports/{id}/files/all.zip", soon.Token);
            using var otherClient = Portal.ClientFor(HardenedPortal.Owner);
            var otherUser = otherClient.GetAsync($"/exports/{fixture.ExportId}/files/all.zip", Cancellation);
            hold.SetResult();

            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains($"You are downloading {limit} zips already", await refused.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
            using (var other = await otherUser)
            {
                Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            }
            foreach (var zip in await Task.WhenAll(running))
            {
                Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
                zip.Dispose();
            }
            using var afterwards = await client.GetAsync($"/exports/{id}/files/all.zip", Cancellation);
            Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        }
        finally
        {
            hold.TrySetResult();
            fixture.Files.Hold = null;
        }
    }

    [Fact]
    public async Task APreviewBeyondTheUsersLimitSaysWhyWithoutCallingTheFileHost()
    {
        var user = User("Pia");
        var id = await Portal.CompletedExportAsync(user, daysAgo: 4);
        var limit = Portal.Services.GetRequiredService<IOptions<PreviewOptions>>().Value.MaxConcurrentPerUser;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = fixture.Files.Requests;
        fixture.Files.Hold = hold.Task;
        try
        {
            var running = Enumerable.Range(0, limit).Select(_ => Previews().PreviewAsync(user, id, 0, Cancellation)).ToList();
            await Eventually.HoldsAsync(() => fixture.Files.Requests >= before + limit, "the previews to reach the file host");

            using var soon = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            soon.CancelAfter(TimeSpan.FromSeconds(20));
            var refused = await Previews().PreviewAsync(user, id, 0, soon.Token);
            var requestsWhileRefused = fixture.Files.Requests;
            hold.SetResult();
            await Task.WhenAll(running);

            var problem = Assert.IsType<PreviewOutcome.Problem>(refused);
            Assert.Equal($"You have {limit} previews loading already; wait for one to finish, then try again.", problem.Message);
            Assert.Equal(before + limit, requestsWhileRefused);
            var afterwards = await Previews().PreviewAsync(user, id, 0, Cancellation);
            Assert.False(afterwards is PreviewOutcome.Problem { Message: var message } && message.Contains("loading already", StringComparison.Ordinal));
        }
        finally
        {
            hold.TrySetResult();
            fixture.Files.Hold = null;
        }
    }

    [Fact]
    public async Task AFileTheReaderCannotReadShowsAReferenceNotTheReadersOwnWords()
    {
        var user = User("Rita");
        var id = Accepted(await Portal.Exports().SubmitAsync(user, Day(5), FileFormat.Parquet, Cancellation));
        await Portal.WaitForStatusAsync(id, ExportStatus.Completed);

        // The file host's bytes are no Parquet file, so the reader fails inside.
        var outcome = await Previews().PreviewAsync(user, id, 0, Cancellation);

        var problem = Assert.IsType<PreviewOutcome.Problem>(outcome);
        Assert.Matches(@"^This file cannot be read as PARQUET; it may be damaged or truncated\. If it keeps happening, tell your administrator the reference [0-9a-f]{12}\.$",
            problem.Message);
    }

    private IFilePreviewService Previews() => Portal.Services.CreateScope().ServiceProvider.GetRequiredService<IFilePreviewService>();
}
