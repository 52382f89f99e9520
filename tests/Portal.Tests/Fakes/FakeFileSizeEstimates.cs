using Portal.Tracking;

namespace Portal.Tests.Fakes;

/// <summary>Measured files as a test adds them, without a database; or, once <see cref="Database"/> is set, what it says.</summary>
public sealed class FakeFileSizeEstimates : IFileSizeEstimates
{
    private readonly List<FileSizeSample> _measured = [];

    /// <summary>The real estimates over a test database, for a test of what the page shows from it.</summary>
    public IFileSizeEstimates? Database { get; set; }

    public void Add(FileSizeSample sample) => _measured.Add(sample);

    public Task<FileSizeRates> LoadAsync(CancellationToken cancellationToken = default) =>
        Database?.LoadAsync(cancellationToken) ?? Task.FromResult(new FileSizeRates([.. _measured]));
}
