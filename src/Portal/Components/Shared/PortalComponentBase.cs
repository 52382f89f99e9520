using Microsoft.AspNetCore.Components;

namespace Portal.Components.Shared;

/// <summary>
/// What the portal's pages and panels share: the signed-in user, the browser's time zone, the clock and the logger
/// that <see cref="PageErrors"/> reports to. A component injects only the services that are its own.
/// </summary>
public abstract class PortalComponentBase : ComponentBase
{
    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    [Inject]
    protected CurrentUser CurrentUser { get; private set; } = default!;

    [Inject]
    protected UserTimeZone TimeZone { get; private set; } = default!;

    [Inject]
    protected TimeProvider Clock { get; private set; } = default!;

    protected ILogger Logger => Loggers.CreateLogger(PageErrors.LoggerCategory);
}
