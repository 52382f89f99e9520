using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Portal.Components.Pages.Admin;
using Portal.Components.Pages.Exports;
using Portal.Security;

namespace Portal.Tests.Components.Pages.Admin;

public class AdminPagesAuthorizationTests
{
    [Theory]
    [InlineData(typeof(Dashboard), "/admin")]
    [InlineData(typeof(AdminExports), "/admin/exports")]
    public void AdminPagesRequireTheAdminPolicy(Type page, string route)
    {
        Assert.Equal(route, page.GetCustomAttribute<RouteAttribute>()!.Template);
        Assert.Contains(page.GetCustomAttributes<AuthorizeAttribute>(), a => a.Policy == PortalAuthorizationOptions.AdminPolicy);
    }

    [Theory]
    [InlineData(typeof(NewExport), "/exports/new")]
    [InlineData(typeof(MyExports), "/exports")]
    [InlineData(typeof(ExportPage), "/exports/{Id:guid}")]
    public void ExportPagesRequireASignedInUser(Type page, string route)
    {
        Assert.Equal(route, page.GetCustomAttribute<RouteAttribute>()!.Template);
        Assert.NotEmpty(page.GetCustomAttributes<AuthorizeAttribute>());
        Assert.Empty(page.GetCustomAttributes<AllowAnonymousAttribute>());
    }
}
