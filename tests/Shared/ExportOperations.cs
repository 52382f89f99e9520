using Microsoft.Extensions.DependencyInjection;
using Portal.Downloads;
using Portal.Exports;

namespace Portal.Testing;

/// <summary>The portal's export services behind one object, for tests that drive several of them in a row.</summary>
public sealed class ExportOperations(IServiceProvider services)
{
    private IExportSubmissions Submissions => services.GetRequiredService<IExportSubmissions>();

    private IExportQueries Queries => services.GetRequiredService<IExportQueries>();

    private IExportCommands Commands => services.GetRequiredService<IExportCommands>();

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        Submissions.SubmitAsync(user, range, format, cancellationToken);

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, CancellationToken cancellationToken = default) =>
        Submissions.SubmitAsync(user, range, format, name, cancellationToken);

    public Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Submissions.RerunAsync(user, id, cancellationToken);

    public Task<bool> SubmitAgainAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Submissions.SubmitAgainAsync(user, id, cancellationToken);

    public Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        Submissions.FindReusableAsync(user, range, format, cancellationToken);

    public Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default) =>
        Queries.ListAsync(user, query, cancellationToken);

    public Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Queries.GetAsync(user, id, cancellationToken);

    public Task<bool> CancelAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Commands.CancelAsync(user, id, cancellationToken);

    public Task<bool> CancelAsync(ExportUser user, Guid id, string? reason, CancellationToken cancellationToken = default) =>
        Commands.CancelAsync(user, id, reason, cancellationToken);

    public Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Commands.DeleteAsync(user, id, cancellationToken);

    public Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<IDownloadLinks>().GetDownloadAsync(user, id, part, cancellationToken);

    public Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<IExportNoticeInbox>().GetNoticesAsync(user, max, cancellationToken);

    public Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<IExportNoticeInbox>().MarkNoticesReadAsync(user, cancellationToken);

    public Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<IExportStatistics>().GetStatisticsAsync(user, since, cancellationToken);
}
