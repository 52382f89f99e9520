using System.Globalization;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

namespace Portal.E2E;

/// <summary>One signed-in person in the browser: a context with its own cookies, one page, and what the page logged.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly List<string> _errors;

    private BrowserSession(IBrowserContext context, IPage page, List<string> errors)
    {
        _errors = errors;
        Context = context;
        Page = page;
        Page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add(message.Text);
                }
            }
        };
        Page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add(error);
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public static async Task<BrowserSession> StartAsync(IBrowserContext context)
    {
        // Content-Security-Policy violations are reported by the page itself, from every document of the context.
        var errors = new List<string>();
        await context.ExposeFunctionAsync("reportCspViolation", (string violation) =>
        {
            lock (errors)
            {
                errors.Add("CSP violation: " + violation);
            }
        });

        // Records every status the export-status element shows, from the first paint of each document,
        // so a test can tell which states a person saw without racing the page.
        await context.AddInitScriptAsync("""
            window.__statuses = [];
            new MutationObserver(() => {
                const status = document.querySelector('[data-testid=export-status]')?.getAttribute('data-status');
                if (status && window.__statuses.at(-1) !== status) window.__statuses.push(status);
            }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
            // Counts the router's moves of the focus to a new page's heading: Blazor's FocusOnNavigate calls this
            // function once for each page of another kind it shows, whether or not the page has a heading yet.
            window.__routerFocus = 0;
            Object.defineProperty(window, 'Blazor', {
                configurable: true,
                get: () => undefined,
                set: blazor => {
                    Object.defineProperty(window, 'Blazor', { value: blazor, writable: true, configurable: true });
                    const wrapper = blazor?._internal?.domWrapper;
                    const focus = wrapper?.focusBySelector;
                    if (focus) {
                        wrapper.focusBySelector = selector => { focus(selector); window.__routerFocus++; };
                    }
                },
            });
            window.__cspReported = [];
            document.addEventListener('securitypolicyviolation', async e => {
                const violation = `${e.effectiveDirective} blocked ${e.blockedURI || 'inline code'} on ${e.documentURI}`;
                await window.reportCspViolation(violation);
                window.__cspReported.push(violation);
            });
            """);
        return new(context, await context.NewPageAsync(), errors);
    }

    /// <summary>The distinct statuses the export-status element has shown on this document, in order.</summary>
    public Task<string[]> SeenStatusesAsync() => Page.EvaluateAsync<string[]>("() => window.__statuses");

    /// <summary>Signs in through the development sign-in page and waits for the interactive circuit.</summary>
    /// <param name="teams">The teams field's text (comma-separated team names); left empty when null.</param>
    public async Task SignInAsync(string name, bool admin = false, string returnUrl = "/exports", string? teams = null)
    {
        await Page.GotoAsync($"account/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await Page.GetByTestId("dev-user").FillAsync(name);
        if (teams is not null)
        {
            await Page.GetByTestId("dev-teams").FillAsync(teams);
        }
        if (admin)
        {
            await Page.GetByTestId("dev-admin").CheckAsync();
        }
        await Page.GetByTestId("dev-signin").ClickAsync();
        await Page.WaitForURLAsync(url => new Uri(url).AbsolutePath.StartsWith(returnUrl, StringComparison.Ordinal));
        await WaitForCircuitAsync();
    }

    /// <summary>
    /// Goes to a page of the portal and waits until it is interactive. Once a page of the session is interactive, this
    /// follows the address inside the circuit, as a click on a link does: no new document and no new circuit, which is
    /// what a person moving through the portal gets (and a fifth of the work of a page load). The first time, or with
    /// <paramref name="newDocument"/>, it loads the address as a typed address or a bookmark does.
    /// </summary>
    public async Task GoToAsync(string path, bool newDocument = false)
    {
        if (newDocument || !await Page.EvaluateAsync<bool>("() => !!document.querySelector('[data-interactive=true]')"))
        {
            await Page.GotoAsync(path);
            await WaitForCircuitAsync();
            return;
        }
        // The old page's elements are marked, so the new page shows as the first unmarked element under main; statuses
        // are recorded per page, as a new document would start them.
        var target = await Page.EvaluateAsync<string>("""
            path => {
                document.querySelectorAll('main *').forEach(e => e.setAttribute('data-left', ''));
                window.__statuses = [];
                window.__routerFocus = 0;
                Blazor.navigateTo(path);
                return new URL(path, document.baseURI).pathname;
            }
            """, path);
        await Page.WaitForFunctionAsync(
            "target => location.pathname === target && !!document.querySelector('main *:not([data-left])') && window.__routerFocus > 0",
            target,
            new() { Timeout = PortalServer.WaitCeilingMs, PollingInterval = 50 });
    }

    /// <summary>
    /// The layout marks the body once the Blazor circuit is up; before that clicks do nothing. Then the router moves the
    /// focus to the page's heading (<c>FocusOnNavigate</c>, a round trip after the page rendered): typing begun before
    /// that would go to the heading instead of the field.
    /// </summary>
    public async Task WaitForCircuitAsync()
    {
        await Expect(Page.Locator("[data-interactive=true]").First).ToBeAttachedAsync();
        await Page.WaitForFunctionAsync("() => window.__routerFocus > 0", null, new() { Timeout = PortalServer.WaitCeilingMs, PollingInterval = 50 });
    }

    /// <summary>Console errors, uncaught exceptions and CSP violations so far.</summary>
    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public void AssertNoConsoleErrors()
    {
        var errors = ConsoleErrors;
        Assert.True(errors.Count == 0, "console errors: " + string.Join(" | ", errors));
    }

    /// <summary>Runs axe-core on the page; serious and critical violations fail the test.</summary>
    public async Task AssertAccessibleAsync()
    {
        // Snackbars fade in over the page, so axe would measure their colours half-way; they are left out.
        var result = await Page.RunAxe(new AxeRunContext { Exclude = [new AxeSelector("#mud-snackbar-container")] });
        var severe = result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => $"{n.Html} [{string.Join("; ", n.Any.Select(c => c.Message))}]"))}"))
            .ToList();
        Assert.True(severe.Count == 0, $"accessibility violations on {Page.Url}: " + string.Join(" | ", severe));
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new() { Path = Path.Combine(PortalServer.ArtifactsDirectory, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
