using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Portal.Data;

namespace Portal.Components.Shared;

/// <summary>
/// Catches what a page throws while it is open: logs it with a correlation id and shows a plain sentence with that id
/// instead of the page, never the exception's text. A database that is away is no error of the page: it shows the calm
/// <see cref="DatabaseUnavailable"/> state instead and renders the page anew every few seconds until it loads.
/// </summary>
public sealed class PageErrorBoundary : ErrorBoundaryBase
{
    private string? _message;
    private DatabaseTrouble? _trouble;

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    [Inject]
    private DatabaseOutage Outage { get; set; } = default!;

    protected override Task OnErrorAsync(Exception exception)
    {
        _trouble = DatabaseErrors.Classify(exception);
        if (_trouble is not null)
        {
            Outage.Failed(exception, "a page");
            return Task.CompletedTask;
        }
        _message = PageErrors.Report(Loggers.CreateLogger(PageErrors.LoggerCategory), exception, "This page ran into a problem.");
        return Task.CompletedTask;
    }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        if (CurrentException is null)
        {
            builder.AddContent(0, ChildContent);
            return;
        }
        if (_trouble is { } trouble)
        {
            builder.OpenComponent<DatabaseUnavailable>(1);
            builder.AddComponentParameter(2, nameof(DatabaseUnavailable.Trouble), trouble);
            builder.AddComponentParameter(3, nameof(DatabaseUnavailable.OnRetry), EventCallback.Factory.Create(this, Recover));
            builder.CloseComponent();
            return;
        }
        builder.OpenComponent<PageErrorMessage>(4);
        builder.AddComponentParameter(5, nameof(PageErrorMessage.Message), _message);
        builder.CloseComponent();
    }
}
