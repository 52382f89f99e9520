using Portal.Security;

namespace Portal.Tests.Security;

public class ReturnUrlTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/exports", "/exports")]
    [InlineData("/exports/0f8fad5b-d9cb-469f-a165-70867728950e?tab=files#top", "/exports/0f8fad5b-d9cb-469f-a165-70867728950e?tab=files#top")]
    [InlineData("/admin/requests?owner=dev-alice&page=2", "/admin/requests?owner=dev-alice&page=2")]
    public void KeepsPathsOfThePortal(string url, string expected) => Assert.Equal(expected, ReturnUrl.Sanitize(url));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("exports")]
    [InlineData("https://evil.example/")]
    [InlineData("http:/evil.example")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\r\n/evil.example")]
    [InlineData("/ /evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    public void SendsEverythingElseToTheStartPage(string? url) => Assert.Equal("/", ReturnUrl.Sanitize(url));

    [Fact]
    public void RefusesOverlongUrls() => Assert.Equal("/", ReturnUrl.Sanitize("/" + new string('a', 3000)));
}
