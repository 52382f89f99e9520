using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

public enum DeliveryStatus
{
    Pending,
    Delivering,
    Delivered,
    Failed,
}

/// <summary>
/// One export to one destination: a durable row the delivery worker claims with a lease and a fencing token. The key
/// <c>(ExportId, DestinationId)</c> is unique, so an export is delivered to a destination once, whichever instance works on it.
/// </summary>
public sealed class ExportDelivery
{
    public long Id { get; set; }

    public Guid ExportId { get; set; }

    /// <summary>No foreign key: a deleted destination leaves its deliveries, which then fail with the reason.</summary>
    public Guid DestinationId { get; set; }

    public DeliveryStatus Status { get; set; }

    /// <summary>Attempts that ended in an error (a success ends the delivery).</summary>
    public int Attempts { get; set; }

    /// <summary>When the worker may take it (after its export completed, or after a failed attempt's backoff); null once ended.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Raised by every claim; every write after it is conditional on the token, so a lapsed claim never writes over a newer one.</summary>
    public long LeaseToken { get; set; }

    /// <summary>Why the last attempt failed, in words; null when it did not.</summary>
    public string? Error { get; set; }

    /// <summary>The files written so far, as JSON <c>[{"name","path","bytes"}]</c> (<see cref="DeliveryFiles"/>).</summary>
    public string Files { get; set; } = "[]";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The last change of its status or attempts.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }
}

/// <summary>A file written to a destination, as stored in <see cref="ExportDelivery.Files"/>.</summary>
public sealed record DeliveryFileEntry(string Name, string Path, long Bytes);

/// <summary>Reads and writes <see cref="ExportDelivery.Files"/>.</summary>
public static class DeliveryFiles
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<DeliveryFileEntry> Read(string? files) =>
        string.IsNullOrEmpty(files) ? [] : JsonSerializer.Deserialize<List<DeliveryFileEntry>>(files, Json) ?? [];

    public static string Write(IEnumerable<DeliveryFileEntry> files) => JsonSerializer.Serialize(files, Json);
}

internal sealed class ExportDeliveryConfiguration : IEntityTypeConfiguration<ExportDelivery>
{
    public void Configure(EntityTypeBuilder<ExportDelivery> builder)
    {
        builder.ToTable("ExportDeliveries");
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Error).HasMaxLength(1000);
        builder.Property(d => d.LeaseToken).IsConcurrencyToken();
        // Once per export and destination, however many instances plan or claim it.
        builder.HasIndex(d => new { d.ExportId, d.DestinationId }).IsUnique();
        // The worker's query: due rows by their next attempt.
        builder.HasIndex(d => new { d.Status, d.NextAttemptAt });
        builder.HasIndex(d => d.DestinationId);
        builder.HasIndex(d => d.UpdatedAt);
        builder.HasOne<ExportRequest>().WithMany().HasForeignKey(d => d.ExportId).OnDelete(DeleteBehavior.Cascade);
    }
}
