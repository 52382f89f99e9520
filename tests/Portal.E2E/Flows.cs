using System.Text.RegularExpressions;

namespace Portal.E2E;

/// <summary>The steps several scenarios share, done the way a person does them.</summary>
public static partial class Flows
{
    /// <summary>Submits an export of the last hour in <paramref name="format"/> and returns its id once its page shows.</summary>
    public static async Task<Guid> SubmitLastHourAsync(this BrowserSession session, string format = "CSV")
    {
        await session.GoToAsync("exports/new");
        await session.Page.GetByTestId("preset-last-hour").ClickAsync();
        await session.Page.GetByTestId($"format-{format}").ClickAsync();
        await session.Page.GetByTestId("submit-export").ClickAsync();
        await session.ExpectExportPageAsync();
        await Expect(session.Page.GetByTestId("export-status")).ToBeVisibleAsync();
        return Guid.Parse(ExportPageUrl().Match(session.Page.Url).Groups["id"].Value);
    }

    /// <summary>
    /// Waits until the page moved on to an export's page. The portal moves inside the circuit (history.pushState, no new
    /// document); this polls the address the page has, since waiting for a navigation event can miss a pushState made
    /// while the document that the test opened is still loading (seen with a submit clicked as early as possible).
    /// </summary>
    public static Task ExpectExportPageAsync(this BrowserSession session) => Expect(session.Page).ToHaveURLAsync(ExportPageUrl());

    /// <summary>The order statuses of a request that completes go through.</summary>
    public static readonly string[] Lifecycle = ["Queued", "Submitted", "InProgress", "Completed"];

    public static Task ExpectStatusAsync(this BrowserSession session, string status, float timeoutMs = PortalServer.WaitCeilingMs) =>
        Expect(session.Page.GetByTestId("export-status")).ToHaveAttributeAsync("data-status", status, new() { Timeout = timeoutMs });

    [GeneratedRegex("/exports/(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")]
    public static partial Regex ExportPageUrl();
}
