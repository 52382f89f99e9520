using System.Diagnostics.Metrics;
using Portal.Exports;

namespace Portal.Kernel;

/// <summary>The portal's export and upstream instruments (meter <see cref="MeterName"/>).</summary>
public sealed class ExportMetrics
{
    public const string MeterName = "Portal.Exports";

    private readonly Counter<long> transitions;
    private readonly Counter<long> polls;
    private readonly Counter<long> upstreamErrors;
    private readonly Histogram<double> upstreamDuration;
    private readonly Histogram<double> timeToCompletion;

    public ExportMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        transitions = meter.CreateCounter<long>("portal.exports.transitions", "{transition}", "Export requests entering a status.");
        polls = meter.CreateCounter<long>("portal.exports.polls", "{poll}", "Status requests the tracker sent upstream.");
        upstreamErrors = meter.CreateCounter<long>("portal.upstream.errors", "{error}", "Upstream calls that failed or answered an error.");
        upstreamDuration = meter.CreateHistogram<double>("portal.upstream.duration", "s", "Duration of upstream calls.");
        timeToCompletion = meter.CreateHistogram<double>("portal.exports.time_to_completion", "s", "From creation to the portal knowing of the completion.");
    }

    public void Transition(ExportStatus status) => transitions.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));

    public void Poll() => polls.Add(1);

    public void UpstreamCall(string operation, int statusCode, TimeSpan duration)
    {
        var op = new KeyValuePair<string, object?>("operation", operation);
        upstreamDuration.Record(duration.TotalSeconds, op, new KeyValuePair<string, object?>("status_code", statusCode));
        if (statusCode is 0 or 401 or 429 or >= 500)
        {
            upstreamErrors.Add(1, op, new KeyValuePair<string, object?>("status_code", statusCode));
        }
    }

    public void Completed(FileFormat format, TimeSpan elapsed) =>
        timeToCompletion.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("format", format.ToString()));
}
