using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

internal sealed class ExportRequestConfiguration : IEntityTypeConfiguration<ExportRequest>
{
    private const string NotDeleted = "\"DeletedAt\" IS NULL";

    public void Configure(EntityTypeBuilder<ExportRequest> builder)
    {
        builder.Ignore(e => e.Range);
        builder.Ignore(e => e.DisplayName);
        builder.Property(e => e.Name).HasMaxLength(ExportNames.MaxStoredLength);
        builder.Property(e => e.OwnerId).HasMaxLength(200);
        builder.Property(e => e.OwnerName).HasMaxLength(200);
        builder.Property(e => e.OwnerEmail).HasMaxLength(320);
        builder.Property(e => e.Team).HasMaxLength(TeamRules.MaxNameLength);
        builder.HasIndex(e => new { e.Team, e.CreatedAt });
        builder.Property(e => e.RequestUuid).HasMaxLength(64);
        builder.Property(e => e.UpstreamStatus).HasMaxLength(64);
        builder.Property(e => e.LeaseOwner).HasMaxLength(100);
        builder.Property(e => e.LastError).HasMaxLength(1000);
        builder.Property(e => e.TraceParent).HasMaxLength(55);
        builder.Property(e => e.Version).IsConcurrencyToken();
        builder.Property(e => e.LeaseToken).IsConcurrencyToken();
        builder.HasQueryFilter(e => e.DeletedAt == null);

        builder.HasIndex(e => new { e.Status, e.NextPollAt });
        // The tracker's claim of polls (two statuses, oldest due first) reads the due rows in order instead of sorting
        // all of them; only open rows have a next poll, so the index stays as small as the work in flight.
        builder.HasIndex(e => e.NextPollAt).HasFilter("\"NextPollAt\" IS NOT NULL AND \"DeletedAt\" IS NULL");
        builder.HasIndex(e => new { e.OwnerId, e.CreatedAt });
        builder.HasIndex(e => e.CreatedAt);
        // The admin grid filtered by status reads its first page in index order instead of sorting every match.
        builder.HasIndex(e => new { e.Status, e.CreatedAt });
        // The admin grid's sorts, each with the Id that breaks its ties (in the sort's direction, so one index serves both
        // directions): a first page reads 25 index entries instead of sorting every match. Partial on the rows the grids
        // show (every grid query says DeletedAt IS NULL), so the grids' capped counts read the index alone.
        builder.HasIndex(e => new { e.CreatedAt, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => new { e.Status, e.OwnerName, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => new { e.Status, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => new { e.OwnerName, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => new { e.Format, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => new { e.RangeFrom, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => new { e.UpdatedAt, e.Id }).HasFilter(NotDeleted);
        builder.HasIndex(e => e.RequestUuid);
        builder.Property(e => e.IdempotencyKey).HasMaxLength(200);
        // Rows without a key hold NULL, which both SQLite and PostgreSQL leave out of uniqueness.
        builder.HasIndex(e => new { e.OwnerId, e.IdempotencyKey }).IsUnique();

        builder.HasMany(e => e.Files).WithOne().HasForeignKey(f => f.ExportId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(e => e.Events).WithOne().HasForeignKey(v => v.ExportId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ExportRequest>().WithMany().HasForeignKey(e => e.RerunOf).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Schedule>().WithMany().HasForeignKey(e => e.ScheduleId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ExportFileConfiguration : IEntityTypeConfiguration<ExportFile>
{
    public void Configure(EntityTypeBuilder<ExportFile> builder)
    {
        builder.Property(f => f.Name).HasMaxLength(200);
        builder.HasIndex(f => new { f.ExportId, f.Part }).IsUnique();
    }
}

internal sealed class ExportEventConfiguration : IEntityTypeConfiguration<ExportEvent>
{
    public void Configure(EntityTypeBuilder<ExportEvent> builder)
    {
        builder.Property(v => v.Actor).HasMaxLength(200);
        builder.Property(v => v.Detail).HasMaxLength(1000);
        builder.Property(v => v.DeliveryStatus).HasConversion<string>().HasMaxLength(16);
        builder.Property(v => v.OwnerId).HasMaxLength(200);
        builder.HasIndex(v => new { v.ExportId, v.At });
        // The dispatcher's query: unpublished rows in id order. Partial, so it holds only the few rows in flight.
        builder.HasIndex(v => new { v.PublishedAt, v.Id }).HasFilter("\"PublishedAt\" IS NULL");
        // Catch-up of a user's hub connection: their rows after an id.
        builder.HasIndex(v => new { v.OwnerId, v.Id });
    }
}

internal sealed class ExportNoticeConfiguration : IEntityTypeConfiguration<ExportNoticeEntry>
{
    public void Configure(EntityTypeBuilder<ExportNoticeEntry> builder)
    {
        builder.ToTable("ExportNotices");
        builder.Property(n => n.OwnerId).HasMaxLength(200);
        builder.Property(n => n.Text).HasMaxLength(500);
        builder.HasIndex(n => new { n.OwnerId, n.At });
        builder.HasOne<ExportRequest>().WithMany().HasForeignKey(n => n.ExportId).OnDelete(DeleteBehavior.Cascade);
    }
}
