using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;

namespace Portal.Components.Shared;

/// <summary>
/// Catches what a page throws while it is open: logs it with a correlation id and shows a plain sentence with that id
/// instead of the page, never the exception's text.
/// </summary>
public sealed class PageErrorBoundary : ErrorBoundaryBase
{
    private string? _message;

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    protected override Task OnErrorAsync(Exception exception)
    {
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
        builder.OpenComponent<PageErrorMessage>(1);
        builder.AddComponentParameter(2, nameof(PageErrorMessage.Message), _message);
        builder.CloseComponent();
    }
}
