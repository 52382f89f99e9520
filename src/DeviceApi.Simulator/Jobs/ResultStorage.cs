using System.Globalization;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Jobs;

/// <summary>The folder of result files: one subfolder per job, deleted when the job is purged.</summary>
internal sealed class ResultStorage : IDisposable
{
    private readonly bool _ownsRoot;

    public ResultStorage(IOptions<SimulatorOptions> options)
    {
        _ownsRoot = string.IsNullOrEmpty(options.Value.StoragePath);
        Root = _ownsRoot
            ? Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"device-api-simulator-{Environment.ProcessId}-{Guid.NewGuid():N}"))
            : Path.GetFullPath(options.Value.StoragePath!);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string JobFolder(Guid id) => Path.Combine(Root, id.ToString("N"));

    public void Delete(Guid id)
    {
        var folder = JobFolder(id);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public void Dispose()
    {
        if (_ownsRoot && Directory.Exists(Root))
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A download still streaming on shutdown keeps a file open; the temp folder is cleaned by the OS.
            }
        }
    }
}
