namespace Portal.E2E;

/// <summary>Every main page, in light and dark, at desktop and phone width: accessible, no console errors or CSP violations.</summary>
[Collection(BrowserTests.Name)]
public class PageQualityTests(PortalServer server)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UserPagesAreAccessibleCleanAndPhotographed(bool darkMode)
    {
        var theme = darkMode ? "dark" : "light";
        await using var user = await server.NewSessionAsync(darkMode);
        await user.Page.GotoAsync("account/login");
        await user.AssertAccessibleAsync();
        await user.ScreenshotAsync($"sign-in-{theme}");

        await user.SignInAsync($"Quality {theme}", returnUrl: "/");
        await user.AssertAccessibleAsync();
        await user.ScreenshotAsync($"home-{theme}");

        await user.GoToAsync("exports/new");
        await user.AssertAccessibleAsync();
        await user.ScreenshotAsync($"new-export-{theme}");

        user.AssertNoConsoleErrors();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ExportPagesAreAccessibleCleanAndPhotographed(bool darkMode)
    {
        var theme = darkMode ? "dark" : "light";
        await using var user = await server.NewSessionAsync(darkMode);
        await user.SignInAsync($"Quality Exports {theme}");

        var id = await user.SubmitLastHourAsync();
        await user.ExpectStatusAsync("Completed");
        await user.AssertAccessibleAsync();
        await user.ScreenshotAsync($"export-details-{theme}");

        await user.GoToAsync("exports");
        await Expect(user.Page.Locator($"[data-testid=export-row][data-export-id='{id}']")).ToBeVisibleAsync();
        await user.AssertAccessibleAsync();
        await user.ScreenshotAsync($"my-exports-{theme}");

        user.AssertNoConsoleErrors();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AdminPagesAreAccessibleCleanAndPhotographed(bool darkMode)
    {
        var theme = darkMode ? "dark" : "light";
        await using var admin = await server.NewSessionAsync(darkMode);
        await admin.SignInAsync($"Quality Admin {theme}", admin: true, returnUrl: "/admin");
        await Expect(admin.Page.GetByTestId("open-now")).ToBeVisibleAsync();
        await admin.AssertAccessibleAsync();
        await admin.ScreenshotAsync($"admin-dashboard-{theme}");

        await admin.GoToAsync("admin/exports");
        await Expect(admin.Page.GetByTestId("export-grid")).ToBeVisibleAsync();
        await admin.AssertAccessibleAsync();
        await admin.ScreenshotAsync($"admin-exports-{theme}");

        admin.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task AnInjectedInlineScriptIsBlockedByTheContentSecurityPolicyAndReported()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Script Injector");

        // What an injected script (a stored XSS, say) would do: the policy's nonce keeps it from running.
        var ran = await user.Page.EvaluateAsync<bool>("""
            () => {
                window.__injected = false;
                const script = document.createElement('script');
                script.textContent = 'window.__injected = true;';
                document.body.appendChild(script);
                return window.__injected;
            }
            """);

        Assert.False(ran);
        await user.Page.WaitForFunctionAsync("() => window.__cspReported.length > 0");
        Assert.Contains(user.ConsoleErrors, e => e.StartsWith("CSP violation: script-src", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PagesFitAPhoneScreen()
    {
        await using var user = await server.NewSessionAsync(width: 390, height: 844);
        await user.SignInAsync("Phone User");
        var id = await user.SubmitLastHourAsync();
        await user.ExpectStatusAsync("Completed");

        foreach (var path in new[] { "exports", "exports/new", $"exports/{id}" })
        {
            await user.GoToAsync(path);
            var overflow = await user.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
            Assert.False(overflow, $"{path} scrolls sideways at phone width");
            await user.ScreenshotAsync("phone-" + path.Replace('/', '-').Replace(id.ToString(), "details", StringComparison.Ordinal));
        }
        user.AssertNoConsoleErrors();
    }
}
