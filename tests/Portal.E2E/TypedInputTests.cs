using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.E2E;

/// <summary>
/// Date, time and number fields typed with the keyboard, segment by segment, in the browser's own locale and time zone.
/// </summary>
/// <remarks>
/// Chromium lays out a date field in its own UI language (<c>--lang</c>), not in the page's locale: a context with
/// <c>Locale = "de-DE"</c> in an English Chromium still shows mm/dd/yyyy. So each locale gets a Chromium started in
/// that language (Debian's <c>chromium-l10n</c> brings the languages), and the keys follow its layout: en-US
/// mm/dd/yyyy, hh:mm AM/PM; de-DE dd.mm.yyyy, hh:mm. Tab moves from the year, which takes up to six digits, to the hour.
/// </remarks>
[Collection(BrowserTestsC.Name)]
public sealed class TypedInputTests(PortalServer server)
{
    [Theory]
    [InlineData("en-US", "America/New_York")]
    [InlineData("de-DE", "Europe/Berlin")]
    public async Task ACustomRangeTypedWithTheKeyboardIsSubmittedAsTheSameRangeInUtc(string locale, string zoneId)
    {
        await using var ownBrowser = locale == "en-US" ? null : await LaunchInLanguageAsync(locale);
        await using var user = await NewSessionAsync(ownBrowser ?? server.Browser, locale, zoneId);
        await user.SignInAsync($"Range Typist {locale}");
        await user.GoToAsync("exports/new");
        var page = user.Page;
        await Expect(page.GetByTestId("time-zone")).ToContainTextAsync(zoneId);
        await ExpectPresetInZoneAsync(page, zoneId);

        // Two days ago in the browser's zone, 09:30 to 14:45: an AM and a PM time, and always inside the allowed window.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var day = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date.AddDays(-2);
        var from = day.AddHours(9).AddMinutes(30);
        var to = day.AddHours(14).AddMinutes(45);
        await TypeDateTimeAsync(page, page.GetByTestId("range-from"), from, locale);
        await TypeDateTimeAsync(page, page.GetByTestId("range-to"), to, locale);

        var utc = $"[{Utc(from, zone)}, {Utc(to, zone)})";
        await Expect(page.GetByTestId("range-utc")).ToContainTextAsync(utc);
        await Expect(page.GetByTestId("range-from")).ToHaveValueAsync(from.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("range-to")).ToHaveValueAsync(to.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await user.ScreenshotAsync($"typed-range-{locale}");

        await Expect(page.GetByTestId("submit-export")).ToBeEnabledAsync();
        await page.GetByTestId("submit-export").ClickAsync();
        await Expect(page).ToHaveURLAsync(Flows.ExportPageUrl());
        await Expect(page.GetByTestId("export-parameters")).ToContainTextAsync(utc);
        user.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task AnEndBeforeTheStartAndARangeOver31DaysAreExplainedNextToTheFields()
    {
        await using var user = await NewSessionAsync(server.Browser, "en-US", "Europe/Berlin");
        await user.SignInAsync("Range Rule Reader");
        await user.GoToAsync("exports/new");
        var page = user.Page;
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var today = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date;
        await ExpectPresetInZoneAsync(page, "Europe/Berlin");

        await TypeDateTimeAsync(page, page.GetByTestId("range-from"), today.AddDays(-3).AddHours(12), "en-US");
        await TypeDateTimeAsync(page, page.GetByTestId("range-to"), today.AddDays(-4).AddHours(12), "en-US");
        await Expect(ErrorNextTo(page, "range-to")).ToHaveTextAsync("The start must be before the end.");
        await Expect(page.GetByTestId("submit-export")).ToBeDisabledAsync();

        await TypeDateTimeAsync(page, page.GetByTestId("range-from"), today.AddDays(-45), "en-US");
        await Expect(ErrorNextTo(page, "range-from")).ToContainTextAsync("A range can span at most 31 days");
        await Expect(page.GetByTestId("submit-export")).ToBeDisabledAsync();
        await user.ScreenshotAsync("typed-range-over-31-days");
        user.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task AScheduleTimeIsTypedAndItsTimeZonePickedWithTheKeyboard()
    {
        await using var user = await NewSessionAsync(server.Browser, "en-US", "Europe/Berlin");
        await user.SignInAsync("Schedule Typist", returnUrl: "/schedules/new");
        var page = user.Page;
        var zoneField = page.Locator("input[data-testid=schedule-time-zone], [data-testid=schedule-time-zone] input").First;
        await Expect(zoneField).ToHaveValueAsync(Portal.Components.Shared.TimeZones.Describe("Europe/Berlin"));

        await page.Locator("input[data-testid=schedule-name], [data-testid=schedule-name] input").First.PressSequentiallyAsync("Evening in Tokyo");
        await page.GetByTestId("schedule-time").PressSequentiallyAsync("0745P");
        await zoneField.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("tokyo");
        await Expect(page.GetByText("Asia/Tokyo (UTC+09:00)")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.GetByTestId("schedule-next-runs")).ToContainTextAsync("In Asia/Tokyo.");
        await Expect(page.GetByTestId("next-run").First).ToContainTextAsync("19:45");
        await Expect(page.GetByTestId("schedule-time")).ToHaveValueAsync("19:45");
        await user.ScreenshotAsync("typed-schedule");

        // Hours typed as words stay in the field, with what to fix beside them.
        await page.GetByTestId("range-last-hours").ClickAsync();
        await page.GetByTestId("schedule-hours").FillAsync("");
        await page.GetByTestId("schedule-hours").PressSequentiallyAsync("ten");
        await Expect(ErrorNextTo(page, "schedule-hours")).ToContainTextAsync("Enter a number of hours from 1 to");
        await Expect(page.GetByTestId("schedule-hours")).ToHaveValueAsync("ten");
        await page.GetByTestId("schedule-hours").FillAsync("");
        await page.GetByTestId("schedule-hours").PressSequentiallyAsync("10");
        await Expect(ErrorNextTo(page, "schedule-hours")).ToHaveCountAsync(0);

        await page.GetByTestId("save-schedule").ClickAsync();
        await Expect(page.GetByTestId("schedule-state")).ToBeVisibleAsync();
        await Expect(zoneField).ToHaveValueAsync("Asia/Tokyo (UTC+09:00)");
        await Expect(page.GetByTestId("schedule-time")).ToHaveValueAsync("19:45");
        user.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task ATokenExpiryIsTypedAsADay()
    {
        await using var user = await NewSessionAsync(server.Browser, "en-US", "America/New_York");
        await user.SignInAsync("Token Typist", returnUrl: "/account/tokens");
        var page = user.Page;
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var today = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date;
        var c = CultureInfo.InvariantCulture;

        await page.GetByTestId("new-token").ClickAsync();
        await page.Locator("input[data-testid=token-name], [data-testid=token-name] input").First.PressSequentiallyAsync("typed-expiry.sh");
        await page.GetByTestId("token-expiry").PressSequentiallyAsync(today.ToString("MMddyyyy", c));
        await page.Keyboard.PressAsync("Tab");
        await Expect(ErrorNextTo(page, "token-expiry")).ToHaveTextAsync("Choose a day after today.");

        var lastDay = today.AddDays(10);
        await page.GetByTestId("token-expiry").PressSequentiallyAsync(lastDay.ToString("MMddyyyy", c));
        await Expect(ErrorNextTo(page, "token-expiry")).ToHaveCountAsync(0);
        await page.GetByTestId("create-token").ClickAsync();

        await Expect(page.GetByTestId("token-created")).ToBeVisibleAsync();
        // It works through that day in the user's zone: it expires at the midnight after it.
        await Expect(page.GetByTestId("token-row").Filter(new() { HasText = "typed-expiry.sh" }))
            .ToContainTextAsync(lastDay.AddDays(1).ToString("yyyy-MM-dd 00:00", c));
        user.AssertNoConsoleErrors();
    }

    /// <summary>
    /// Waits until the form's default range (the last 24 hours) is written in the browser's zone. The page learns the
    /// zone after it is interactive and then writes the preset again; a date typed before that is overwritten.
    /// </summary>
    private static Task ExpectPresetInZoneAsync(IPage page, string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone);
        // The preset takes its "now" when the zone arrives: a little before this one, or on a loaded machine after it.
        var recent = Enumerable.Range(-2, 7).Select(m => Regex.Escape(now.AddMinutes(-m).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture)));
        return Expect(page.GetByTestId("range-to")).ToHaveValueAsync(new Regex($"^({string.Join('|', recent)})$"));
    }

    /// <summary>The message MudBlazor shows under a field, found from the field itself.</summary>
    private static ILocator ErrorNextTo(IPage page, string testId) =>
        page.Locator($".mud-input-control:has([data-testid={testId}]) .mud-input-error .me-auto");

    /// <summary>Types a date and time segment by segment as a person does, in the field's layout for <paramref name="locale"/>.</summary>
    private static async Task TypeDateTimeAsync(IPage page, ILocator field, DateTime local, string locale)
    {
        var c = CultureInfo.InvariantCulture;
        var (date, time) = locale switch
        {
            "en-US" => (local.ToString("MMddyyyy", c), local.ToString("hhmm", c) + (local.Hour < 12 ? "A" : "P")),
            "de-DE" => (local.ToString("ddMMyyyy", c), local.ToString("HHmm", c)),
            _ => throw new ArgumentOutOfRangeException(nameof(locale), locale, "no key sequence for this layout"),
        };
        await field.PressSequentiallyAsync(date);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(time);
        await page.Keyboard.PressAsync("Tab");
    }

    private static string Utc(DateTime local, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeToUtc(local, zone).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A Chromium in another language than the shared (English) one.</summary>
    private async Task<IBrowser> LaunchInLanguageAsync(string locale)
    {
        Assert.True(File.Exists($"/usr/lib/chromium/locales/{locale}.pak") || File.Exists($"/usr/lib/chromium/locales/{locale[..2]}.pak"),
            $"Chromium has no {locale} language pack: install Debian's chromium-l10n (tests/run.sh does).");
        return await server.Browser.BrowserType.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--lang={locale}"],
            // Chromium takes the date fields' layout from the process's language as well as from --lang.
            Env = new Dictionary<string, string>(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => KeyValuePair.Create((string)e.Key, (string?)e.Value ?? "")))
            {
                ["LANG"] = $"{locale.Replace('-', '_')}.UTF-8",
                ["LANGUAGE"] = locale.Replace('-', '_'),
            },
        });
    }

    private async Task<BrowserSession> NewSessionAsync(IBrowser browser, string locale, string zoneId)
    {
        var context = await browser.NewContextAsync(new()
        {
            BaseURL = server.BaseAddress.ToString(),
            Locale = locale,
            TimezoneId = zoneId,
            ViewportSize = new() { Width = 1280, Height = 860 },
        });
        context.SetDefaultTimeout(PortalServer.WaitCeilingMs);
        return await BrowserSession.StartAsync(context);
    }
}
