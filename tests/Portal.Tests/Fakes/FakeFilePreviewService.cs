using Portal.Exports;
using Portal.Previews;

namespace Portal.Tests.Fakes;

/// <summary>Previews and sizes set by the test; records which parts were previewed.</summary>
public sealed class FakeFilePreviewService : IFilePreviewService
{
    public Dictionary<int, long?> Sizes { get; } = [];

    public PreviewOutcome Outcome { get; set; } = new PreviewOutcome.NotFound();

    public List<int> Previewed { get; } = [];

    public Task<PreviewOutcome> PreviewAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default)
    {
        Previewed.Add(part);
        return Task.FromResult(Outcome);
    }

    public Task<IReadOnlyDictionary<int, long?>> SizesAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<int, long?>>(Sizes);
}
