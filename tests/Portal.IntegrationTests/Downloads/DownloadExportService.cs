using Portal.Exports;

namespace Portal.IntegrationTests.Downloads;

/// <summary>
/// One completed export of <see cref="Owner"/> with one file. Every call hands out a new link, as the engine does when
/// the stored one is about to expire; the last one is kept so a test can check that the fresh link was used.
/// </summary>
public sealed class DownloadExportService : IExportService
{
    public const string Owner = "alice";

    private int _issued;

    public Guid ExportId { get; } = Guid.NewGuid();

    /// <summary>Where the file lives; a test points it at its own file host.</summary>
    public Uri FileBase { get; set; } = new("https://files.test/results/");

    public string FileName { get; set; } = "part-00000.csv";

    public Uri? LastIssued { get; private set; }

    public List<(string UserId, bool IsAdmin, Guid Id, int Part)> Requests { get; } = [];

    public Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default)
    {
        lock (Requests)
        {
            Requests.Add((user.Id, user.IsAdmin, id, part));
        }
        if (id != ExportId || part != 0 || (user.Id != Owner && !user.IsAdmin))
        {
            return Task.FromResult<DownloadLink?>(null);
        }
        var n = Interlocked.Increment(ref _issued);
        var url = new Uri(FileBase, $"{FileName}?expires={1764324941 + n}&signature=sig{n}");
        LastIssued = url;
        return Task.FromResult<DownloadLink?>(new DownloadLink(url, DateTimeOffset.UtcNow.AddMinutes(15), FileName));
    }

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        Task.FromResult<ExportSummary?>(null);

    public Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult(new PagedResult<ExportSummary>([], 0));

    public Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult<ExportDetails?>(null);

    public Task<bool> CancelAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult<SubmitOutcome?>(null);

    public Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ExportNotice>>([]);

    public Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        Task.FromResult<ExportStatistics?>(null);
}
