using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

internal sealed class ScheduleConfiguration : IEntityTypeConfiguration<Schedule>
{
    public void Configure(EntityTypeBuilder<Schedule> builder)
    {
        builder.Property(s => s.OwnerId).HasMaxLength(200);
        builder.Property(s => s.OwnerName).HasMaxLength(200);
        builder.Property(s => s.OwnerEmail).HasMaxLength(320);
        builder.Property(s => s.Team).HasMaxLength(TeamRules.MaxNameLength);
        builder.HasIndex(s => s.Team);
        builder.Property(s => s.Name).HasMaxLength(100);
        builder.Property(s => s.RangeKind).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Recurrence).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Cron).HasMaxLength(100);
        builder.Property(s => s.TimeZoneId).HasMaxLength(100);
        builder.Property(s => s.PauseReason).HasMaxLength(1000);
        builder.Property(s => s.Destinations).HasMaxLength(1000);
        builder.Ignore(s => s.DestinationIds);
        builder.Property(s => s.Version).IsConcurrencyToken();
        // The scheduler's query: active schedules by next run.
        builder.HasIndex(s => new { s.PausedAt, s.NextRunAt });
        builder.HasIndex(s => new { s.OwnerId, s.CreatedAt });
        builder.HasMany(s => s.Runs).WithOne().HasForeignKey(r => r.ScheduleId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(s => s.History).WithOne().HasForeignKey(h => h.ScheduleId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ScheduleRunConfiguration : IEntityTypeConfiguration<ScheduleRun>
{
    public void Configure(EntityTypeBuilder<ScheduleRun> builder)
    {
        builder.Property(r => r.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Error).HasMaxLength(1000);
        // Exactly once per occurrence, whichever instance gets there first.
        builder.HasIndex(r => new { r.ScheduleId, r.OccurrenceAt }).IsUnique();
        builder.HasOne<ExportRequest>().WithMany().HasForeignKey(r => r.ExportId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ScheduleHistoryConfiguration : IEntityTypeConfiguration<ScheduleHistoryEntry>
{
    public void Configure(EntityTypeBuilder<ScheduleHistoryEntry> builder)
    {
        builder.ToTable("ScheduleHistory");
        builder.Property(h => h.Actor).HasMaxLength(200);
        builder.Property(h => h.Text).HasMaxLength(1000);
        builder.HasIndex(h => new { h.ScheduleId, h.At });
    }
}
