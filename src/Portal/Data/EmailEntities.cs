using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>When a user wants an email about their own exports.</summary>
public enum ExportEmails
{
    Off,
    /// <summary>Only for exports still open two minutes after they were requested: the ones a person stops waiting for.</summary>
    WhenSlow,
    Always,
}

/// <summary>
/// A user's notification settings and the address their sign-in gave last: the sender works without the user present.
/// </summary>
public sealed class UserSettings
{
    public string UserId { get; set; } = "";

    /// <summary>From the sign-in (<c>email</c>, else <c>preferred_username</c>); null when it had none.</summary>
    public string? Email { get; set; }

    public ExportEmails ExportEmails { get; set; } = ExportEmails.WhenSlow;

    /// <summary>An email for every scheduled run.</summary>
    public bool ScheduleEmails { get; set; } = true;

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The team the user's last new export was for (null: their own); the new-export form starts with it.</summary>
    public string? LastExportTeam { get; set; }

    /// <summary>Whether the user also gets the bell's and email's notices of their teams' exports, not only of their own.</summary>
    public bool TeamNotices { get; set; }
}

/// <summary>Where an email stands.</summary>
public enum EmailState
{
    /// <summary>Waiting to be sent, or to be tried again after a failure.</summary>
    Pending,
    Sent,
    /// <summary>Given up after the last attempt, or refused for good by the server.</summary>
    Failed,
    /// <summary>Planned while no mail server was configured (Development): kept for <c>/dev/mail</c>, never sent.</summary>
    Kept,
}

/// <summary>
/// One email about one change of an export: planned in the transaction that publishes the change, so there is one row
/// per change; the sender claims, sends and marks it.
/// </summary>
public sealed class EmailMessage
{
    public long Id { get; set; }

    /// <summary>The event row this email tells about; unique, so a change never has two emails.</summary>
    public long EventId { get; set; }

    public Guid ExportId { get; set; }

    public string OwnerId { get; set; } = "";

    public string To { get; set; } = "";

    public string Subject { get; set; } = "";

    /// <summary>Plain text, as sent.</summary>
    public string Body { get; set; } = "";

    /// <summary>The export's page in the portal; never a download URL.</summary>
    public string Link { get; set; } = "";

    /// <summary>The same on every attempt, so a resend after a crash mid-send is recognisable as the same message.</summary>
    public string MessageId { get; set; } = "";

    public EmailState State { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The claim of the sender pass working on it; null when nobody is.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }
}

internal sealed class UserSettingsConfiguration : IEntityTypeConfiguration<UserSettings>
{
    public void Configure(EntityTypeBuilder<UserSettings> builder)
    {
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.UserId).HasMaxLength(200);
        builder.Property(s => s.Email).HasMaxLength(320);
        builder.Property(s => s.LastExportTeam).HasMaxLength(TeamRules.MaxNameLength);
        builder.Property(s => s.ExportEmails).HasConversion<string>().HasMaxLength(16);
    }
}

internal sealed class EmailMessageConfiguration : IEntityTypeConfiguration<EmailMessage>
{
    public void Configure(EntityTypeBuilder<EmailMessage> builder)
    {
        builder.Property(m => m.OwnerId).HasMaxLength(200);
        builder.Property(m => m.To).HasMaxLength(320);
        builder.Property(m => m.Subject).HasMaxLength(300);
        builder.Property(m => m.Body).HasMaxLength(4000);
        builder.Property(m => m.Link).HasMaxLength(1000);
        builder.Property(m => m.MessageId).HasMaxLength(300);
        builder.Property(m => m.LastError).HasMaxLength(1000);
        builder.Property(m => m.LeaseOwner).HasMaxLength(100);
        builder.Property(m => m.State).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(m => m.EventId).IsUnique();
        // The sender's query: pending rows that are due.
        builder.HasIndex(m => new { m.State, m.NextAttemptAt });
        builder.HasIndex(m => m.CreatedAt);
        builder.HasOne<ExportRequest>().WithMany().HasForeignKey(m => m.ExportId).OnDelete(DeleteBehavior.Cascade);
    }
}
