using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Portal.Components.Layout;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Tests;

/// <summary>bUnit context with what every MudBlazor component of the portal needs.</summary>
public class PortalTestContext : BunitContext
{
    public PortalTestContext()
    {
        // One generous ceiling for every WaitFor*: a loaded machine makes a wait longer, never a failure.
        DefaultWaitTimeout = Testing.Eventually.DefaultTimeout;
        JSInterop.Mode = JSRuntimeMode.Loose;
        // The layout hands the theme chosen while prerendering to the interactive render.
        this.AddBunitPersistentComponentState();
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.ThrowOnDuplicateProvider = false;
        });
        Services.AddSingleton(Options.Create(PortalOptions));
        // The layout's health banner listens to the upstream monitor; tests record calls on it.
        Services.TryAddSingleton(TimeProvider.System);
        Services.TryAddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        Services.AddSingleton(Options.Create(new TrackerOptions()));
        Services.AddSingleton<IUpstreamBudget, PollBudget>();
        Services.AddSingleton<IUpstreamPause, InMemoryUpstreamPause>();
        Services.AddSingleton<UpstreamMonitor>();
        Services.AddSingleton<PlatformHealth>();
        // Pages and the error boundary tell a database that is away from an error of their own.
        Services.AddSingleton<Portal.Data.DatabaseOutage>();
        Authorization = AddAuthorization();
    }

    /// <summary>Who the rendered components see: anonymous until a test says otherwise.</summary>
    public BunitAuthorizationContext Authorization { get; }

    public PortalOptions PortalOptions { get; } = new();
}
