using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Destinations;
using Portal.Security;

namespace Portal.Tests.Components;

/// <summary>
/// The real destination service for component tests: a migrated SQLite file of its own (copied from one migrated
/// once per test run) and a writer that stands in for the storage, the edge a component test isolates.
/// </summary>
public static class DestinationTestServices
{
    private static readonly Lazy<string> Template = new(CreateTemplate, LazyThreadSafetyMode.ExecutionAndPublication);

    public static DestinationOptions Options { get; } = new() { AllowPrivateNetworks = true };

    /// <summary>An Azure connection string the service accepts (loopback is allowed here); nothing listens there.</summary>
    public const string ConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1";

    /// <summary>Registers the destination service over a fresh copy of the migrated database; returns its file.</summary>
    public static string AddDestinationServices(this IServiceCollection services, FakeDestinationWriter writer, DestinationOptions? options = null)
    {
        var file = Path.Combine(Path.GetTempPath(), "portal-tests", $"destinations-{Guid.NewGuid():N}.db");
        File.Copy(Template.Value, file);
        services.TryAddSingleton<IDbContextFactory<PortalDbContext>>(
            new PooledDbContextFactory<PortalDbContext>(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite($"Data Source={file}").Options));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options ?? Options));
        services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        services.TryAddSingleton<AuditLog>();
        services.AddSingleton<DestinationSecrets>();
        services.AddSingleton<DestinationAddressGuard>();
        services.AddSingleton<DestinationValidator>();
        services.AddSingleton<DestinationTargets>();
        services.AddSingleton<IDestinationWriter>(writer);
        services.AddSingleton<IDestinationWriter>(new FakeDestinationWriter(DestinationKind.Sftp));
        services.AddSingleton<DestinationService>();
        return file;
    }

    public static void Delete(string file)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
    }

    private static string CreateTemplate()
    {
        var directory = Path.Combine(Path.GetTempPath(), "portal-tests");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"destinations-template-{Guid.NewGuid():N}.db");
        using (var db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite($"Data Source={file};Pooling=False").Options))
        {
            db.Database.Migrate();
        }
        return file;
    }
}

/// <summary>Stands in for a storage service: answers a probe as told, and can hold it to show the page while it runs.</summary>
public sealed class FakeDestinationWriter(DestinationKind kind = DestinationKind.AzureBlob) : IDestinationWriter
{
    public DestinationKind Kind { get; } = kind;

    /// <summary>What the next probes throw; null: they succeed.</summary>
    public Exception? Failure { get; set; }

    /// <summary>Set to hold each probe until it is completed.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public int Probes { get; private set; }

    public Task<WrittenFile> WriteAsync(DestinationTarget target, string path, Stream content, long? length, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Component tests deliver nothing.");

    public async Task ProbeAsync(DestinationTarget target, CancellationToken cancellationToken)
    {
        Probes++;
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
        if (Failure is { } failure)
        {
            throw failure;
        }
    }
}
