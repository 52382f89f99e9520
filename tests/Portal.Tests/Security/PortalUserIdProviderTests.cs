using System.Security.Claims;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Exports;
using Portal.Security;

namespace Portal.Tests.Security;

public class PortalUserIdProviderTests
{
    private static HubConnectionContext Connection(ClaimsPrincipal user) =>
        new(new DefaultConnectionContext { User = user }, new HubConnectionContextOptions(), NullLoggerFactory.Instance);

    [Fact]
    public void NamesEntraConnectionsByObjectIdLikeTheExportService()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, "pairwise-sub-value"),
            new Claim(ExportUser.ObjectIdClaim, "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ], "AuthenticationTypes.Federation"));

        var id = new PortalUserIdProvider().GetUserId(Connection(user));

        Assert.Equal(ExportUser.FromPrincipal(user, "Portal.Admin").Id, id);
    }

    [Fact]
    public void GivesAnonymousConnectionsNoUser() =>
        Assert.Null(new PortalUserIdProvider().GetUserId(Connection(new ClaimsPrincipal(new ClaimsIdentity()))));
}
