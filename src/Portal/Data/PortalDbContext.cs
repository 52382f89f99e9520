using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Portal.Exports;

namespace Portal.Data;

public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : DbContext(options)
{
    public DbSet<ExportRequest> ExportRequests => Set<ExportRequest>();

    public DbSet<ExportFile> ExportFiles => Set<ExportFile>();

    public DbSet<ExportEvent> ExportEvents => Set<ExportEvent>();

    public DbSet<ExportNoticeEntry> ExportNotices => Set<ExportNoticeEntry>();

    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset; UTC ticks sort and compare as integers.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<ExportStatus>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<FileFormat>().HaveConversion<string>().HaveMaxLength(16);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
}

internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
