using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Testing;

namespace Portal.E2E;

/// <summary>
/// A person who clicks before the page is interactive: the prerendered page must not take a click that does nothing.
/// Playwright clicks as soon as the button is visible, enabled and hit by the pointer, the earliest a person could.
/// </summary>
[Collection(BrowserTestsC.Name)]
public class EarlyClickTests(PortalServer portal)
{
    private const int Runs = 20;

    /// <summary>Range presets and formats other than the form's default (last 24 hours, CSV).</summary>
    private static readonly (string Preset, string Format)[] Variants =
        [.. new[] { "last-hour", "yesterday", "last-7-days", "previous-month", "last-24h" }
            .SelectMany(preset => FileFormats.All.Select(format => (preset, format.ApiName())))
            .Where(v => v != ("last-24h", "CSV"))];

    [Fact]
    public async Task SubmitClickedAsEarlyAsPossibleCreatesTheExportEveryTimeAndTracesItToTheUpstreamPost()
    {
        // A tall screen: the runs' own completions arrive as snackbars at the bottom left, which on an 860 px screen
        // lie over the form's format choices and would take the clicks this test makes.
        await using var session = await portal.NewSessionAsync(height: 1400);
        var ids = new List<Guid>();

        // The first run is the one a new user makes: straight from the sign-in to the form, submit at once.
        await session.Page.GotoAsync("account/login?returnUrl=%2Fexports%2Fnew");
        await session.Page.GetByTestId("dev-user").FillAsync("Early Clicker");
        await session.Page.GetByTestId("dev-signin").ClickAsync();
        for (var run = 0; run < Runs; run++)
        {
            if (run > 0)
            {
                // Identical requests within a few seconds are one export by design: each run asks for another one,
                // and those clicks come as early as the submit does.
                await session.Page.GotoAsync("exports/new", new() { WaitUntil = WaitUntilState.Commit });
                var (preset, format) = Variants[run - 1];
                await session.Page.GetByTestId($"preset-{preset}").ClickAsync();
                await session.Page.GetByTestId($"format-{format}").ClickAsync();
            }
            await session.Page.GetByTestId("submit-export").ClickAsync();
            // The page moves on inside the circuit (no new document): the address is the signal, not a load event.
            // A lost click still fails here, after the one generous ceiling.
            await session.ExpectExportPageAsync();
            ids.Add(Guid.Parse(Flows.ExportPageUrl().Match(session.Page.Url).Groups["id"].Value));
        }

        Assert.Equal(Runs, ids.Distinct().Count());
        var user = new ExportUser(Portal.Security.DevelopmentUserStore.IdFor("Early Clicker"), "Early Clicker", null, IsAdmin: false);
        using (var scope = portal.Services.CreateScope())
        {
            var exports = scope.ServiceProvider.GetRequiredService<IExportQueries>();
            foreach (var id in ids)
            {
                Assert.NotNull(await exports.GetAsync(user, id, TestContext.Current.CancellationToken));
            }
        }
        await AssertEachSubmitIsTracedToItsUpstreamPostAsync(ids);
        session.AssertNoConsoleErrors();
    }

    private async Task AssertEachSubmitIsTracedToItsUpstreamPostAsync(List<Guid> ids)
    {
        IReadOnlyList<Activity> spans = [];
        // The tracker sends each POST after the page moved on: wait for the last one too.
        await Eventually.HoldsAsync(() =>
        {
            spans = portal.Spans.Snapshot();
            var submitted = spans.Where(s => s.OperationName == "export.submit").Select(ExportId).ToHashSet();
            var posted = spans.Where(s => s.OperationName == "upstream.submit").Select(ExportId).ToHashSet();
            return ids.All(id => submitted.Contains(id) && posted.Contains(id));
        }, "an export.submit and an upstream.submit span for every export");

        foreach (var id in ids)
        {
            var submit = Assert.Single(spans, s => s.OperationName == "export.submit" && ExportId(s) == id);
            // The POST goes out either inside the submit's trace or from a tracker span linked to it.
            var related = spans.Where(s => s.TraceId == submit.TraceId
                || s.Links.Any(l => l.Context.TraceId == submit.TraceId && l.Context.SpanId == submit.SpanId)).ToList();
            var relatedTraces = related.Select(s => s.TraceId).ToHashSet();
            var upstreamSubmit = spans.Where(s => s.OperationName == "upstream.submit" && relatedTraces.Contains(s.TraceId)).ToList();
            Assert.True(upstreamSubmit.Any(s => ExportId(s) == id), $"no upstream.submit span for export {id} in or linked to its submit's trace");
            Assert.Contains(spans, s => s.Kind == ActivityKind.Client && relatedTraces.Contains(s.TraceId)
                && (s.GetTagItem("http.request.method") as string) == "POST"
                && (s.GetTagItem("url.full") as string)?.EndsWith("/v3/devices/status", StringComparison.Ordinal) == true);
        }
        // Signed URLs and tokens are credentials: no span names an address with its query.
        Assert.DoesNotContain(spans, s => s.TagObjects.Any(t => t.Value is string v && v.Contains("://", StringComparison.Ordinal) && v.Contains('?', StringComparison.Ordinal)));
    }

    private static Guid? ExportId(Activity span) => span.GetTagItem(PortalActivity.ExportIdTag) switch
    {
        Guid id => id,
        string text when Guid.TryParse(text, out var id) => id,
        _ => null,
    };
}
