namespace Portal.E2E;

[Collection(BrowserTests.Name)]
public class ReconnectTests(PortalServer server)
{
    [Fact]
    public async Task ADroppedConnectionReconnectsAndTheStatusGoesOnUpdating()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Flaky Network");
        await user.SubmitLastHourAsync();

        await user.Page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");

        var modal = user.Page.Locator("#components-reconnect-modal");
        await Expect(modal).ToBeVisibleAsync();
        await Expect(modal).ToBeHiddenAsync(new() { Timeout = 20_000 });
        await user.ExpectStatusAsync("Completed");
        // No console check here: the browser rightly logs the dropped connection.
    }
}
