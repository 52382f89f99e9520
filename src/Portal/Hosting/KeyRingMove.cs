using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Hosting.ScaleOut;
using StackExchange.Redis;

namespace Portal.Hosting;

/// <summary>
/// Moves a deployment's key ring from where earlier versions kept it (the Redis list
/// <c>{Redis:KeyPrefix}:data-protection-keys</c> with <c>ConnectionStrings:Redis</c>, else the key folder) into the
/// database, once: only while the database holds no key, before the key ring is first read. The elements are copied
/// as they are (still encrypted with the certificate), under their friendly names, in one transaction; the names are
/// unique in the table, so two instances starting together store each key once. The old store is left as it was and
/// never read again.
/// </summary>
public sealed partial class KeyRingMove(IServiceProvider services, IConfiguration configuration, ILogger<KeyRingMove> logger)
{
    /// <summary>Where earlier versions kept the key ring in Redis, under <c>Redis:KeyPrefix</c>.</summary>
    public const string RedisListName = "data-protection-keys";

    private readonly Lock gate = new();
    private volatile bool done;
    private bool failureLogged;

    /// <summary>Moves the keys unless that is done; throws (and the key ring is not read) while the move cannot be made.</summary>
    public void EnsureDone()
    {
        if (done)
        {
            return;
        }
        lock (gate)
        {
            if (done)
            {
                return;
            }
            try
            {
                // Blocking here is the key ring's own contract (IXmlRepository is synchronous); off any synchronization context.
                Task.Run(MoveAsync).GetAwaiter().GetResult();
                done = true;
            }
            catch (Exception ex) when (!failureLogged)
            {
                failureLogged = true;
                LogMoveFailed(logger, ex);
                throw;
            }
        }
    }

    private async Task MoveAsync()
    {
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            // The key ring may be read before the migrator's turn at start: the table must exist first.
            await DatabaseMigrator.MigrateAsync(db, CancellationToken.None);
            if (await db.DataProtectionKeys.AnyAsync())
            {
                return;
            }
        }

        var (source, elements) = ReadOldStore();
        if (elements.Count == 0)
        {
            return;
        }

        await using var move = await factory.CreateDbContextAsync();
        await using var transaction = await move.Database.BeginTransactionAsync();
        if (await move.DataProtectionKeys.AnyAsync())
        {
            LogMovedByAnother(logger, source);
            return;
        }
        move.DataProtectionKeys.AddRange(elements.Select(e => new DataProtectionKey { FriendlyName = e.FriendlyName, Xml = e.Xml }));
        try
        {
            await move.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        catch (DbUpdateException)
        {
            // Another instance stored the same keys first (the friendly names are unique): its move is the move.
            await using var check = await factory.CreateDbContextAsync();
            if (await check.DataProtectionKeys.AnyAsync())
            {
                LogMovedByAnother(logger, source);
                return;
            }
            throw;
        }
        LogMoved(logger, elements.Count, source);
    }

    /// <summary>The old store's elements: the Redis list with Redis configured, else the key folder.</summary>
    private (string Source, IReadOnlyList<(string FriendlyName, string Xml)> Elements) ReadOldStore()
    {
        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString(RedisOptions.ConnectionStringName)))
        {
            var redisOptions = configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
            var key = redisOptions.Key(RedisListName);
            var source = $"the Redis list {key}";
            var redis = services.GetRequiredService<RedisConnection>();
            RedisValue[] values;
            try
            {
                values = redis.Database.ListRange(key);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                throw new InvalidOperationException(
                    $"The key ring is not in the database yet and {source}, where it was kept until now, cannot be read ({ex.Message}). " +
                    "What those keys protect (sessions, forms, webhook signing keys) would be lost if new keys were made, so the key ring " +
                    "stays unavailable until Redis answers; the move is tried again at the next request.", ex);
            }
            return (source, Named(values.Where(v => !v.IsNullOrEmpty).Select(v => XElement.Parse(v.ToString()))));
        }

        var settings = configuration.GetSection(KeyRingOptions.SectionName).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var folder = string.IsNullOrWhiteSpace(settings.KeysPath) ? FileSystemXmlRepository.DefaultKeyStorageDirectory : new DirectoryInfo(settings.KeysPath);
        if (folder is null || !folder.Exists)
        {
            return ("no key folder", []);
        }
        // Data Protection named each file after the element's friendly name.
        var files = folder.GetFiles("*.xml", SearchOption.TopDirectoryOnly).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var named = files.Select(f => (FriendlyName: Path.GetFileNameWithoutExtension(f.Name), Xml: XElement.Load(f.FullName).ToString(SaveOptions.DisableFormatting)));
        return ($"the folder {folder.FullName}", named.DistinctBy(e => e.FriendlyName, StringComparer.Ordinal).ToList());
    }

    private static List<(string FriendlyName, string Xml)> Named(IEnumerable<XElement> elements) => elements
        .Select(e => (FriendlyName: FriendlyName(e), Xml: e.ToString(SaveOptions.DisableFormatting)))
        .DistinctBy(e => e.FriendlyName, StringComparer.Ordinal)
        .ToList();

    /// <summary>The name Data Protection gives an element when it stores it (the Redis list kept none).</summary>
    internal static string FriendlyName(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        var kind = element.Name.LocalName;
        var id = kind switch
        {
            "key" => (string?)element.Attribute("id"),
            "revocation" => (string?)element.Element("key")?.Attribute("id") is { } revoked && revoked != "*" ? revoked : null,
            _ => null,
        };
        return id is not null
            ? $"{kind}-{id}"
            : $"{kind}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting))))[..32]}";
    }

    [LoggerMessage(LogLevel.Information, "Moved the Data Protection key ring ({Count} entries) from {Source} to the database: what was protected before (sessions, forms, webhook signing keys) stays readable. From now on the key ring is read and written only in the database; {Source} is no longer used")]
    private static partial void LogMoved(ILogger logger, int count, string source);

    [LoggerMessage(LogLevel.Information, "The Data Protection key ring was moved from {Source} to the database by another instance starting at the same time")]
    private static partial void LogMovedByAnother(ILogger logger, string source);

    [LoggerMessage(LogLevel.Error, "The Data Protection key ring could not be moved to the database yet; it is tried again at the next use")]
    private static partial void LogMoveFailed(ILogger logger, Exception exception);
}

/// <summary>The database's key ring, read only once the move from an older store is done.</summary>
internal sealed class MovedFirstXmlRepository(IXmlRepository database, KeyRingMove move) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        move.EnsureDone();
        return database.GetAllElements();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        move.EnsureDone();
        database.StoreElement(element, friendlyName);
    }
}
