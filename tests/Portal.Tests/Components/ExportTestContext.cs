using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Components.Pages.Exports;
using Portal.Components.Shared;
using Portal.Exports;
using Portal.Security;
using Portal.Tests.Fakes;

namespace Portal.Tests.Components;

/// <summary>The bUnit context for export pages: fake service and publisher, a signed-in user, a fixed clock in UTC.</summary>
public class ExportTestContext : PortalTestContext
{
    public const string UserId = "user-1";
    public const string UserName = "Ada User";
    public const string AdminRole = "Portal.Admin";

    public FakeFilePreviewService Previews { get; } = new();

    public ExportTestContext()
    {
        Services.AddSingleton<IExportService>(Service);
        Services.AddSingleton<IExportEvents>(Events);
        Services.AddSingleton<Portal.Previews.IFilePreviewService>(Previews);
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton(Options.Create(new PortalAuthorizationOptions { AdminRole = AdminRole }));
        Services.AddSingleton(Options.Create(NewExportOptions));
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        Services.AddScoped<CurrentUser>();
        Services.AddScoped<UserTimeZone>();
        Services.AddScoped<ExportActions>();
        SignInAs(UserId, UserName);
    }

    public FakeExportService Service { get; } = new();

    public FakeExportEvents Events { get; } = new();

    public ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public NewExportOptions NewExportOptions { get; } = new();

    public void SignInAs(string id, string name, bool admin = false)
    {
        Authorization.SetAuthorized(name);
        if (admin)
        {
            Authorization.SetRoles(AdminRole);
            Authorization.SetPolicies(PortalAuthorizationOptions.AdminPolicy);
        }
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, id));
    }

    public ExportSummary AddExport(ExportStatus status, string ownerId = UserId, string ownerName = UserName, FileFormat format = FileFormat.Csv,
        int fileCount = 0, long? rowCount = null, string? lastError = null, DateTimeOffset? createdAt = null)
    {
        var export = FakeExportService.Summary(ownerId, ownerName, status, format: format, fileCount: fileCount, rowCount: rowCount,
            lastError: lastError, createdAt: createdAt ?? Clock.Now.AddMinutes(-5));
        Service.Exports.Add(export);
        return export;
    }
}
