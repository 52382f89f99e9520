extern alias simulator;
using System.IO.Compression;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.IntegrationTests.Downloads;
using Portal.Previews;
using simulator::DeviceApi.Simulator.Downloads;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Previews;

/// <summary>Previews and the zip of all parts on the real engine, with ranged reads counted at the simulator.</summary>
public sealed class PreviewTests : IAsyncLifetime
{
    private static readonly ExportUser Owner = User("Petra");

    private PortalFactory _portal = default!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private DownloadMeter Meter => _portal.Simulator.Services.GetRequiredService<DownloadMeter>();

    public async ValueTask InitializeAsync()
    {
        // 500 devices for a day: 720,000 rows, a file of several megabytes in every format.
        _portal = await PortalFactory.StartAsync(options => options.DeviceCount = 500);
    }

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    private async Task<Guid> CompletedAsync(ExportUser owner, FileFormat format, int daysAgo = 2)
    {
        var id = Accepted(await _portal.Exports().SubmitAsync(owner, Day(daysAgo), format, Cancellation));
        await _portal.WaitForStatusAsync(id, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        return id;
    }

    private IFilePreviewService Previews() => _portal.Services.CreateScope().ServiceProvider.GetRequiredService<IFilePreviewService>();

    [Theory]
    [InlineData(FileFormat.Orc)]
    [InlineData(FileFormat.Parquet)]
    public async Task APreviewOfAMultiMegabyteFileReadsLessThanAQuarterOfIt(FileFormat format)
    {
        var id = await CompletedAsync(Owner, format);
        var servedBefore = Meter.BytesServed;
        var requestsBefore = Meter.Responses;

        var outcome = await Previews().PreviewAsync(Owner, id, 0, Cancellation);

        var preview = Assert.IsType<PreviewOutcome.Shown>(outcome).Preview;
        var served = Meter.BytesServed - servedBefore;
        // PARQUET: the tail and the magic together, then the first row group's chunks in one range. ORC: the tail, the
        // first stripe's footer, then its streams' first chunks in a few ranges side by side.
        var requests = Meter.Responses - requestsBefore;
        Assert.True(requests <= (format == FileFormat.Parquet ? 3 : 8), $"{requests} ranged reads");
        Assert.Equal(100, preview.Rows.Count);
        Assert.Equal(720_000, preview.TotalRows);
        Assert.True(preview.FileBytes > 2 * 1024 * 1024, $"the file has {preview.FileBytes} bytes");
        Assert.Equal(preview.BytesRead, served);
        Assert.True(served * 4 < preview.FileBytes, $"read {served} of {preview.FileBytes} bytes");
        Assert.True(served <= 1024 * 1024, $"read {served} bytes");
        Assert.Equal(preview.FileBytes, (await _portal.RowAsync(id)).Files.Single().SizeBytes);
    }

    [Fact]
    public async Task AnotherUsersFileIsNotFoundAndNothingIsRead()
    {
        var id = await CompletedAsync(Owner, FileFormat.Csv, daysAgo: 3);
        var servedBefore = Meter.Responses;

        var outcome = await Previews().PreviewAsync(User("Mallory"), id, 0, Cancellation);
        var admin = await Previews().PreviewAsync(User("Ada", admin: true), id, 0, Cancellation);

        Assert.IsType<PreviewOutcome.NotFound>(outcome);
        Assert.Equal(100, Assert.IsType<PreviewOutcome.Shown>(admin).Preview.Rows.Count);
        Assert.Equal(servedBefore + 1, Meter.Responses);
    }

    [Fact]
    public async Task SizesOfFilesNotPreviewedComeFromTheFileHostAndAreKept()
    {
        var id = await CompletedAsync(Owner, FileFormat.Json, daysAgo: 4);
        Assert.Null((await _portal.RowAsync(id)).Files.Single().SizeBytes);

        var sizes = await Previews().SizesAsync(Owner, id, Cancellation);

        var size = Assert.Single(sizes).Value;
        Assert.True(size > 1024 * 1024, $"{size} bytes");
        Assert.Equal(size, (await _portal.RowAsync(id)).Files.Single().SizeBytes);
        Assert.Empty(await Previews().SizesAsync(User("Mallory"), id, Cancellation));
    }

    [Fact]
    public async Task TheZipHoldsEveryPartInOrderAndIsOnlyTheOwners()
    {
        await using var portal = await PortalFactory.StartAsync(options => options.PartSize = 50);
        var id = Accepted(await portal.Exports().SubmitAsync(Owner, new TimeRange(Day().From, Day().From.AddHours(1)), FileFormat.Csv, Cancellation));
        var row = await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        Assert.True(row.Files.Count > 1, "a multi-part export");

        using var client = portal.ClientFor(Owner);
        using var response = await client.GetAsync($"/exports/{id}/files/all.zip", Cancellation);
        using var stranger = portal.ClientFor(User("Mallory"));
        using var refused = await stranger.GetAsync($"/exports/{id}/files/all.zip", Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.EndsWith(".zip", response.Content.Headers.ContentDisposition?.FileNameStar, StringComparison.Ordinal);
        await using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync(Cancellation), ZipArchiveMode.Read);
        var range = $"{row.RangeFrom.UtcDateTime:yyyy-MM-dd'T'HHmm}Z_{row.RangeTo.UtcDateTime:yyyy-MM-dd'T'HHmm}Z";
        Assert.Equal(row.Files.OrderBy(f => f.Part).Select(f => $"device-status_CSV_{range}_part-{f.Part:D5}.csv"), zip.Entries.Select(e => e.FullName));
        var lines = 0;
        foreach (var entry in zip.Entries)
        {
            using var reader = new StreamReader(await entry.OpenAsync(Cancellation));
            var text = await reader.ReadToEndAsync(Cancellation);
            Assert.StartsWith("device_id,timestamp,", text, StringComparison.Ordinal);
            lines += text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        }

        Assert.Equal(row.RowCount, lines);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task ACapTooSmallForTheFirstRowsSaysSo()
    {
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?> { ["Preview:MaxBytes"] = "2048" });
        var id = Accepted(await portal.Exports().SubmitAsync(Owner, Day(), FileFormat.Parquet, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);

        var outcome = await portal.Services.CreateScope().ServiceProvider.GetRequiredService<IFilePreviewService>().PreviewAsync(Owner, id, 0, Cancellation);

        var problem = Assert.IsType<PreviewOutcome.Problem>(outcome);
        Assert.True(problem.CapTooSmall);
        Assert.Contains("limit of 2 KiB", problem.Message, StringComparison.Ordinal);
    }
}
