using System.Diagnostics;

namespace Portal.Kernel;

/// <summary>
/// The portal's own spans (source <see cref="SourceName"/>): a tracker pass, each request it works on, each upstream
/// call, a page's submit. Spans carry the export id (<see cref="ExportIdTag"/>), never a URL with its query or a token.
/// </summary>
public static class PortalActivity
{
    public const string SourceName = "Portal";

    public const string ExportIdTag = "export.id";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// A span for the upstream call <paramref name="name"/>, tagged with the export id of the span it runs in (the
    /// tracker's per-request span or a page's submit), so the client needs no id of its own.
    /// </summary>
    public static Activity? StartUpstreamCall(string name)
    {
        var exportId = Activity.Current?.GetTagItem(ExportIdTag);
        var activity = Source.StartActivity(name, ActivityKind.Internal);
        activity?.SetTag(ExportIdTag, exportId);
        return activity;
    }

    /// <summary>
    /// A span for work on one export request, linked to the span that created it (<paramref name="traceParent"/>, a
    /// W3C <c>traceparent</c>), so the upstream calls the tracker makes later belong to the submit that caused them.
    /// </summary>
    public static Activity? StartForExport(string name, Guid exportId, string? traceParent)
    {
        ActivityLink[]? links = traceParent is not null && ActivityContext.TryParse(traceParent, null, out var origin)
            ? [new ActivityLink(origin)]
            : null;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag(ExportIdTag, exportId);
        return activity;
    }

    /// <summary>
    /// A span for what a person did on an open page, as the root of its own trace: the circuit's connection is a
    /// long-lived request whose span would otherwise hold every action of the page.
    /// </summary>
    public static Activity? StartPageAction(string name)
    {
        Activity.Current = null;
        return Source.StartActivity(name, ActivityKind.Internal);
    }

    /// <summary>The W3C <c>traceparent</c> of the current span, to store with a request the tracker works on later.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;
}
