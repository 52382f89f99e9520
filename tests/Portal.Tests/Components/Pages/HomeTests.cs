using Bunit;
using Portal.Components.Pages;

namespace Portal.Tests.Components.Pages;

public class HomeTests : PortalTestContext
{
    [Fact]
    public void ExplainsWhatThePortalDoes()
    {
        var home = Render<Home>();

        Assert.Equal("Device status exports", home.Find("h1").TextContent);
        Assert.Equal(3, home.FindAll("h2").Count);
    }
}
