using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Components.Pages.Exports;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;
using Portal.Security;
using Portal.Testing;
using Portal.Tests.Fakes;
using Portal.Tracking;

namespace Portal.Tests.Components;

/// <summary>The bUnit context for export pages: fake service and change feed, a signed-in user, a fixed clock in UTC.</summary>
public class ExportTestContext : PortalTestContext, IAsyncDisposable
{
    public const string UserId = "user-1";
    public const string UserName = "Ada User";
    public const string AdminRole = "Portal.Admin";

    public FakeFilePreviewService Previews { get; } = new();

    public FakeEmailQueries Emails { get; } = new();

    /// <summary>The email settings (no mail server unless a test sets one).</summary>
    public Portal.Notifications.Email.EmailOptions EmailOptions { get; } = new();

    /// <summary>The settings store, for a test of the settings page to set before it renders.</summary>
    public Portal.Notifications.Email.UserSettingsStore? UserSettings { get; set; }
    public FakeWebhookHealth WebhookHealth { get; } = new();

    public ExportTestContext()
    {
        Services.AddSingleton<IExportSubmissions>(Service);
        Services.AddSingleton<IExportAllowances>(Service);
        Services.AddSingleton<IExportQueries>(Service);
        Services.AddSingleton<IExportCommands>(Service);
        Services.AddSingleton<IExportNoticeInbox>(Service);
        Services.AddSingleton<IExportStatistics>(Service);
        Services.AddSingleton<IExportShares>(Service);
        Services.AddSingleton<Portal.Webhooks.IWebhookHealth>(WebhookHealth);
        Services.AddSingleton<IExportChangeFeed>(Changes);
        Services.AddSingleton<Portal.Previews.IFilePreviewService>(Previews);
        Services.AddSingleton<Portal.Notifications.Email.IEmailQueries>(Emails);
        Services.AddSingleton(Options.Create(EmailOptions));
        Services.AddSingleton(_ => UserSettings ?? throw new InvalidOperationException("This test did not set UserSettings."));
        Services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton(Options.Create(new PortalAuthorizationOptions { AdminRole = AdminRole }));
        Services.AddSingleton(Options.Create(NewExportOptions));
        Services.AddSingleton(Options.Create(DownloadOptions));
        Services.AddSingleton<ILoggerFactory>(Logs);
        Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        Services.AddScoped<CurrentUser>();
        Services.AddScoped<UserTimeZone>();
        Services.AddScoped<ExportActions>();
        Services.AddSingleton(Estimator);
        Services.AddSingleton<ReadyEstimates>();
        Services.AddSingleton<IFileSizeEstimates>(FileSizes);
        // Destinations and deliveries are read from a database of their own (their rows name exports the fake service holds).
        DestinationDatabase = Services.AddDestinationServices(DestinationStorage);
        Services.AddSingleton<ExportDeliveries>();
        SignInAs(UserId, UserName);
        // Pages are tested as they are once their circuit is up; a test of the prerendered page says so.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public FakeExportService Service { get; } = new();

    /// <summary>Stands in for the storage destinations write to.</summary>
    public FakeDestinationWriter DestinationStorage { get; } = new();

    /// <summary>The SQLite file destinations and deliveries are kept in.</summary>
    public string DestinationDatabase { get; }

    public Portal.Destinations.DestinationService Destinations => Services.GetRequiredService<Portal.Destinations.DestinationService>();

    /// <summary>A destination of the signed-in user, as the destinations page saves it.</summary>
    public async Task<Portal.Destinations.DestinationInfo> AddDestinationAsync(string name, string ownerId = UserId)
    {
        var created = await Destinations.CreateAsync(new ExportUser(ownerId, UserName, null, false), new Portal.Destinations.DestinationInput(
            name, "azure-blob", DestinationTestServices.ConnectionString, null, "exports", null, null, null, null, null, null, null, null), CancellationToken.None);
        return Assert.IsType<Portal.Destinations.DestinationRegistration.Created>(created).Destination;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        DestinationTestServices.Delete(DestinationDatabase);
        GC.SuppressFinalize(this);
    }

    /// <summary>What the components logged.</summary>
    public RecordingLoggerFactory Logs { get; } = new();

    public FakeExportChangeFeed Changes { get; } = new();

    /// <summary>The fixed clock the pages read; their timers run only when a test moves it.</summary>
    public FakeTimeProvider Clock { get; } = TestClock.New(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public NewExportOptions NewExportOptions { get; } = new();

    /// <summary>How files reach the browser (Redirect unless a test sets Proxy).</summary>
    public Portal.Downloads.DownloadOptions DownloadOptions { get; } = new();

    /// <summary>The learned preparation times, fed by <see cref="AddPreparationTimes"/>; never loaded from a database here.</summary>
    public PreparationEstimator Estimator { get; } = new(
        new PooledDbContextFactory<PortalDbContext>(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite("Data Source=:memory:").Options),
        Options.Create(new TrackerOptions()));

    /// <summary>The measured file sizes the new-export page is given; a test of the real query registers <see cref="FileSizeEstimates"/>.</summary>
    public FakeFileSizeEstimates FileSizes { get; } = new();

    /// <summary>Completed requests of one format and span, one per duration in seconds.</summary>
    public void AddPreparationTimes(FileFormat format, long minutes, params int[] seconds)
    {
        foreach (var s in seconds)
        {
            Estimator.Add(new PreparationSample(format, minutes, TimeSpan.FromSeconds(s)));
        }
    }

    public void SignInAs(string id, string name, bool admin = false, IReadOnlyList<string>? teams = null, IReadOnlyList<string>? maintains = null)
    {
        Authorization.SetAuthorized(name);
        if (admin)
        {
            Authorization.SetRoles(AdminRole);
            Authorization.SetPolicies(PortalAuthorizationOptions.AdminPolicy);
        }
        Authorization.SetClaims([
            new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, id),
            .. (teams ?? []).Select(t => new System.Security.Claims.Claim(ExportUser.TeamClaim, t)),
            .. (maintains ?? []).Select(t => new System.Security.Claims.Claim(ExportUser.MaintainedTeamClaim, t)),
        ]);
    }

    public ExportSummary AddExport(ExportStatus status, string ownerId = UserId, string ownerName = UserName, FileFormat format = FileFormat.Csv,
        int fileCount = 0, long? rowCount = null, string? lastError = null, DateTimeOffset? createdAt = null)
    {
        var export = FakeExportService.Summary(ownerId, ownerName, status, format: format, fileCount: fileCount, rowCount: rowCount,
            lastError: lastError, createdAt: createdAt ?? Clock.GetUtcNow().AddMinutes(-5));
        Service.Exports.Add(export);
        return export;
    }
}
