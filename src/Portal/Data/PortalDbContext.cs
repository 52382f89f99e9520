using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Portal.Exports;

namespace Portal.Data;

/// <summary>
/// The portal's model on SQLite. <see cref="PostgreSqlPortalDbContext"/> is the same model on PostgreSQL. It also
/// holds the Data Protection key ring (<see cref="IDataProtectionKeyContext"/>).
/// </summary>
public class PortalDbContext : DbContext, IDataProtectionKeyContext
{
    public PortalDbContext(DbContextOptions<PortalDbContext> options)
        : base(options)
    {
    }

    /// <summary>For a provider's own context type, which EF needs to tell its migrations apart.</summary>
    protected PortalDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<ExportRequest> ExportRequests => Set<ExportRequest>();

    public DbSet<ExportFile> ExportFiles => Set<ExportFile>();

    public DbSet<ExportEvent> ExportEvents => Set<ExportEvent>();

    public DbSet<ExportNoticeEntry> ExportNotices => Set<ExportNoticeEntry>();

    public DbSet<UserSettings> UserSettings => Set<UserSettings>();

    public DbSet<EmailMessage> EmailMessages => Set<EmailMessage>();

    public DbSet<Schedule> Schedules => Set<Schedule>();

    public DbSet<ScheduleRun> ScheduleRuns => Set<ScheduleRun>();

    public DbSet<ScheduleHistoryEntry> ScheduleHistory => Set<ScheduleHistoryEntry>();

    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();

    public DbSet<Destination> Destinations => Set<Destination>();

    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();

    public DbSet<UserAllowance> UserAllowances => Set<UserAllowance>();

    public DbSet<PortalUser> PortalUsers => Set<PortalUser>();

    public DbSet<ExportShare> ExportShares => Set<ExportShare>();

    /// <summary>The key ring behind session cookies, antiforgery tokens and stored secrets.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<DevelopmentUserEntry> DevelopmentUsers => Set<DevelopmentUserEntry>();

    /// <summary>Exports to destinations: one row per export and destination.</summary>
    public DbSet<ExportDelivery> ExportDeliveries => Set<ExportDelivery>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        ConfigureTimes(configurationBuilder.Properties<DateTimeOffset>());
        configurationBuilder.Properties<ExportStatus>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<FileFormat>().HaveConversion<string>().HaveMaxLength(16);
    }

    /// <summary>SQLite cannot compare or order <see cref="DateTimeOffset"/>; UTC ticks sort and compare as integers.</summary>
    protected virtual void ConfigureTimes(PropertiesConfigurationBuilder<DateTimeOffset> times) =>
        times.HaveConversion<UtcTicksConverter>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
}

/// <summary>
/// The same model on PostgreSQL with native types (<c>timestamptz</c>, <c>uuid</c>); its own type only so that its
/// migrations (<c>Data/Migrations/PostgreSql</c>) are told apart from SQLite's. The portal asks for
/// <see cref="PortalDbContext"/> either way.
/// </summary>
public sealed class PostgreSqlPortalDbContext(DbContextOptions<PostgreSqlPortalDbContext> options) : PortalDbContext(options)
{
    /// <summary><c>timestamptz</c> stores only UTC: a time with an offset (a user's range) is stored as its UTC instant.</summary>
    protected override void ConfigureTimes(PropertiesConfigurationBuilder<DateTimeOffset> times) =>
        times.HaveConversion<UtcConverter>();
}

internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

internal sealed class UtcConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
    value => value.ToUniversalTime(),
    value => value.ToUniversalTime());
