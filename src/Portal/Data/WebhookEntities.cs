using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>The longest receiver URL: the column's size and what the webhook forms and API accept.</summary>
public static class WebhookRules
{
    public const int MaxUrlLength = 2000;

    /// <summary>A stored signing secret: encrypted with Data Protection, about 180 characters for a 50-character secret.</summary>
    public const int MaxStoredSecretLength = 400;
}

/// <summary>A receiver a user registered: where to POST, which events, and the secret that signs them.</summary>
public sealed class WebhookEndpoint : IOwnedResource
{
    public Guid Id { get; set; }

    /// <summary>The team it belongs to, by name; null when it is its owner's alone.</summary>
    public string? Team { get; set; }

    public string OwnerId { get; set; } = "";

    public string Url { get; set; } = "";

    /// <summary>The event types it wants, separated by spaces.</summary>
    public string Events { get; set; } = "";

    /// <summary>The <c>whsec_</c> signing secret, encrypted with Data Protection (plain in rows from before the encryption).</summary>
    public string Secret { get; set; } = "";

    /// <summary>The secret before the last rotation (stored like <see cref="Secret"/>), still signing beside the new one until <see cref="PreviousSecretUntil"/>.</summary>
    public string? PreviousSecret { get; set; }

    public DateTimeOffset? PreviousSecretUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The first failed attempt since the last delivered one; null while the receiver answers.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    public string? DisabledReason { get; set; }

    public IReadOnlyList<string> EventList => Events.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<WebhookDeliveryState>))]
public enum WebhookDeliveryState
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>One event for one endpoint: its body and message id are fixed when planned and sent alike on every attempt.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }

    public Guid EndpointId { get; set; }

    /// <summary>The <c>webhook-id</c> header: receivers drop a message id they have seen.</summary>
    public string MessageId { get; set; } = "";

    public string EventType { get; set; } = "";

    /// <summary>The export the event is about; null for a test event.</summary>
    public Guid? ExportId { get; set; }

    public string Body { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public WebhookDeliveryState State { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    public DateTimeOffset? FirstAttemptAt { get; set; }

    public int Attempts { get; set; }

    public int? LastStatusCode { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Raised by every claim; a write after sending checks it, so a lapsed claim never writes over a newer one.</summary>
    public long LeaseToken { get; set; }
}

/// <summary>One POST to a receiver and how it went: the delivery log the owner reads.</summary>
public sealed class WebhookAttempt
{
    public long Id { get; set; }

    public long DeliveryId { get; set; }

    public Guid EndpointId { get; set; }

    public DateTimeOffset At { get; set; }

    public string EventType { get; set; } = "";

    public string MessageId { get; set; } = "";

    public int? StatusCode { get; set; }

    public int DurationMs { get; set; }

    public string? Error { get; set; }

    /// <summary>When it is tried again; null once delivered or given up.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
}

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> builder)
    {
        builder.ToTable("WebhookEndpoints");
        builder.Ignore(e => e.EventList);
        builder.Property(e => e.OwnerId).HasMaxLength(200);
        builder.Property(e => e.Url).HasMaxLength(WebhookRules.MaxUrlLength);
        builder.Property(e => e.Events).HasMaxLength(500);
        builder.Property(e => e.Secret).HasMaxLength(WebhookRules.MaxStoredSecretLength);
        builder.Property(e => e.PreviousSecret).HasMaxLength(WebhookRules.MaxStoredSecretLength);
        builder.Property(e => e.DisabledReason).HasMaxLength(500);
        builder.HasIndex(e => e.OwnerId);
        builder.Property(e => e.Team).HasMaxLength(TeamRules.MaxNameLength);
        builder.HasIndex(e => e.Team);
        builder.HasMany<WebhookDelivery>().WithOne().HasForeignKey(d => d.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.ToTable("WebhookDeliveries");
        builder.Property(d => d.MessageId).HasMaxLength(100);
        builder.Property(d => d.EventType).HasMaxLength(50);
        builder.Property(d => d.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.LastError).HasMaxLength(500);
        builder.Property(d => d.LeaseToken).IsConcurrencyToken();
        // Planned once per change and endpoint: the unique key makes a second planning fail instead of sending twice.
        builder.HasIndex(d => new { d.EndpointId, d.MessageId }).IsUnique();
        builder.HasIndex(d => new { d.State, d.NextAttemptAt });
        builder.HasMany<WebhookAttempt>().WithOne().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> builder)
    {
        builder.ToTable("WebhookAttempts");
        builder.Property(a => a.EventType).HasMaxLength(50);
        builder.Property(a => a.MessageId).HasMaxLength(100);
        builder.Property(a => a.Error).HasMaxLength(500);
        builder.HasIndex(a => new { a.EndpointId, a.At });
        builder.HasIndex(a => a.At);
    }
}
