using System.Text.RegularExpressions;
using Portal.Exports;
using Portal.IntegrationTests.Downloads;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Previews;

/// <summary>Sizes measured when exports complete, and the new-export page's rough size from them, on the real engine.</summary>
public sealed partial class FileSizeMeasurerTests
{
    private static readonly ExportUser Owner = User("Sizwe");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CompletedExportsAreMeasuredWithoutADownloadAndTheNewExportPageShowsTheirRoughSize()
    {
        await using var portal = await PortalFactory.StartAsync(
            options => options.DeviceCount = 20,
            new Dictionary<string, string?> { ["FileSizes:Enabled"] = "true", ["FileSizes:Interval"] = "00:00:00.200" });
        using var client = portal.ClientFor(Owner);
        var before = await client.GetStringAsync("/exports/new", Cancellation);
        Assert.Contains("no file sizes have been measured", before, StringComparison.Ordinal);

        var perRow = new List<double>();
        foreach (var daysAgo in new[] { 2, 3, 4 })
        {
            var id = Accepted(await portal.Exports().SubmitAsync(Owner, Day(daysAgo), FileFormat.Csv, Cancellation));
            var row = await portal.WaitForAsync(id, r => r.Status == ExportStatus.Completed && r.Files.Count > 0 && r.Files.All(f => f.SizeBytes != null), TimeSpan.FromSeconds(60));
            using var file = new HttpClient();
            var bytes = await file.GetByteArrayAsync(row.Files.Single().Url, Cancellation);
            Assert.Equal(bytes.Length, row.Files.Single().SizeBytes);
            Assert.DoesNotContain(row.Events, e => e.Detail?.StartsWith("Downloaded", StringComparison.Ordinal) == true);
            perRow.Add((double)bytes.Length / row.RowCount!.Value);
        }

        var page = await client.GetStringAsync("/exports/new", Cancellation);

        var rows = long.Parse(RowEstimate().Match(page).Groups["rows"].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        var median = perRow.Order().ElementAt(1);
        var expected = Portal.Components.Shared.Formatting.Bytes((long)Math.Round(median * rows));
        var csv = SizeEstimate().Match(page);
        Assert.True(csv.Success, "the CSV row of the rough sizes is shown");
        Assert.Contains($"about {expected}", csv.Value, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"data-testid=""row-estimate""[^>]*>\s*About <strong>(?<rows>[\d,]+)</strong> rows")]
    private static partial Regex RowEstimate();

    [GeneratedRegex(@"data-testid=""size-estimate"" data-format=""CSV""[\s\S]*?</tr>")]
    private static partial Regex SizeEstimate();
}
