namespace Portal.IntegrationTests.Security;

public class ScratchTests
{
    [Fact]
    public async Task Dump()
    {
        using var factory = new LoggedPortalFactory();
        using var client = factory.CreateClient();
        var html = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        File.WriteAllText("/tmp/home.html", html);
        var html2 = await client.GetStringAsync("/account/dev-signin", TestContext.Current.CancellationToken);
        File.WriteAllText("/tmp/signin.html", html2);
    }
}
