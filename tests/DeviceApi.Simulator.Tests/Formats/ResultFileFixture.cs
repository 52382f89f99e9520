using DeviceApi.Simulator.Data;
using DeviceApi.Simulator.Formats;

namespace DeviceApi.Simulator.Tests.Formats;

/// <summary>Writes results of a small fleet into a temporary folder, deleted afterwards.</summary>
internal sealed class ResultFileFixture : IDisposable
{
    /// <summary>7 devices: enough rows in an hour for every status, offline (nulls) included.</summary>
    public static readonly DeviceStatusGenerator Generator = new(7, 20261127);

    public static readonly DateTime From = new(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);

    public string Folder { get; } = Directory.CreateTempSubdirectory("simulator-format-tests-").FullName;

    public async Task<(IReadOnlyList<ResultFile> Files, DeviceStatusRows Rows)> WriteAsync(
        FileFormat format, TimeSpan? span = null, int partSize = ResultFiles.MaxPartSize)
    {
        var rows = Generator.Rows(From, From + (span ?? TimeSpan.FromHours(1)));
        return (await WriteAsync(format, rows, partSize), rows);
    }

    /// <summary>A range inside one minute that contains no minute start: no rows.</summary>
    public Task<IReadOnlyList<ResultFile>> WriteEmptyAsync(FileFormat format) =>
        WriteAsync(format, Generator.Rows(From.AddSeconds(10), From.AddSeconds(50)), ResultFiles.MaxPartSize);

    private async Task<IReadOnlyList<ResultFile>> WriteAsync(FileFormat format, DeviceStatusRows rows, int partSize)
    {
        return await ResultFiles.WriteAsync(
            rows, format, Path.Combine(Folder, Guid.NewGuid().ToString("N")), partSize, cancellationToken: TestContext.Current.CancellationToken);
    }

    public static IEnumerable<DeviceStatusRow> Expected(DeviceStatusRows rows, long start = 0, long? count = null)
    {
        for (var i = start; i < start + (count ?? rows.Count - start); i++)
        {
            yield return rows[i];
        }
    }

    /// <summary>The hour of <see cref="WriteAsync(FileFormat, TimeSpan?, int)"/> read back: every row, in order, equal to the source.</summary>
    public static void AssertSameRows(DeviceStatusRows rows, IReadOnlyList<DeviceStatusRow> read)
    {
        Assert.Equal(420, read.Count);
        Assert.Equal(rows[0], read[0]);
        Assert.Equal(rows[rows.Count - 1], read[^1]);
        Assert.Equal(Expected(rows), read);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
