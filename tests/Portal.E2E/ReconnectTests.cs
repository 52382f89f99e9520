using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;

namespace Portal.E2E;

[Collection(BrowserCollection.Name)]
public class ReconnectTests(PortalServer server)
{
    [Fact]
    public async Task ADroppedConnectionReconnectsAndShowsTheChangeThatHappenedMeanwhile()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Flaky Network");
        var id = await user.SubmitLastHourAsync();
        await user.ExpectStatusAsync("InProgress");

        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = server.Services.GetRequiredService<IExportEvents>().Subscribe(change =>
        {
            if (change.ExportId == id && change.Status == ExportStatus.Completed)
            {
                completed.TrySetResult();
            }
            return Task.CompletedTask;
        });

        // Offline keeps the browser from rejoining until the export has completed on the server.
        await user.Context.SetOfflineAsync(true);
        await user.Page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");
        var modal = user.Page.Locator("#components-reconnect-modal");
        await Expect(modal).ToBeVisibleAsync();
        await completed.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal("InProgress", await user.Page.GetByTestId("export-status").GetAttributeAsync("data-status"));

        await user.Context.SetOfflineAsync(false);

        await Expect(modal).ToBeHiddenAsync(new() { Timeout = 20_000 });
        await user.ExpectStatusAsync("Completed");
        // No console check here: the browser rightly logs the failed rejoin attempts while it is offline.
    }
}
