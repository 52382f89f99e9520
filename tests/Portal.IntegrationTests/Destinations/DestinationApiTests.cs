using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.IntegrationTests.Api;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Destinations;

/// <summary><c>/api/v1/destinations</c> against real Azurite and a real sshd on loopback (allowed in Development).</summary>
public class DestinationApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Path = "/api/v1/destinations";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static object BlobBody(string container, string name = "Team storage") =>
        new { name, kind = "azure-blob", connectionString = StorageEngines.AzuriteConnectionString, container };

    public static object SftpBody(string directory, string? password = null, string? fingerprint = null)
    {
        var sftp = StorageEngines.Sftp;
        return new
        {
            name = "Partner SFTP",
            kind = "sftp",
            host = sftp.Host,
            port = sftp.Port,
            username = sftp.User,
            password = password ?? sftp.Password,
            hostKeyFingerprint = fingerprint ?? sftp.Fingerprint,
            directory,
        };
    }

    [Fact]
    public async Task AnAzureDestinationIsCreatedWithoutItsSecretListedReadTestedAndDeleted()
    {
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        using var client = await portal.ApiClientForAsync(User("Bea Blob"));

        using var created = await client.PostAsJsonAsync(Path, BlobBody(container.Name), Cancellation);
        var text = await created.Content.ReadAsStringAsync(Cancellation);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain("AccountKey", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Eby8vdM02x", text, StringComparison.Ordinal);
        var destination = JsonDocument.Parse(text).RootElement;
        var id = destination.GetProperty("id").GetGuid();
        Assert.Equal($"{Path}/{id}", created.Headers.Location?.ToString());
        Assert.Equal("azure-blob", destination.GetProperty("kind").GetString());
        Assert.EndsWith($"/devstoreaccount1/{container.Name}", destination.GetProperty("target").GetString(), StringComparison.Ordinal);
        Assert.Equal("{format}/{from:yyyy-MM-dd}/{export}-{part}.{ext}", destination.GetProperty("pathTemplate").GetString());

        var list = await client.GetFromJsonAsync<JsonElement>(Path, Cancellation);
        Assert.Equal([id], list.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()));

        var test = await (await client.PostAsync($"{Path}/{id}/test", null, Cancellation)).Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.True(test.GetProperty("succeeded").GetBoolean(), test.GetProperty("message").GetString());
        var read = await client.GetFromJsonAsync<JsonElement>($"{Path}/{id}", Cancellation);
        Assert.True(read.GetProperty("lastTestSucceeded").GetBoolean());
        Assert.Empty(await container.GetBlobsAsync(cancellationToken: Cancellation).ToListAsync(Cancellation));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Path}/{id}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{Path}/{id}", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task AnSftpDestinationKeepsItsPasswordOnlyEncryptedAndItsTestSaysWhatFailed()
    {
        var sftp = StorageEngines.Sftp;
        using var client = await portal.ApiClientForAsync(User("Sid Sftp"));

        using var good = await client.PostAsJsonAsync(Path, SftpBody(SftpServer.NewDirectory()), Cancellation);
        using var badPassword = await client.PostAsJsonAsync(Path, SftpBody(SftpServer.NewDirectory(), password: "wrong-password-123"), Cancellation);
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        Assert.Equal(HttpStatusCode.Created, badPassword.StatusCode);
        var goodId = (await good.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();
        var badId = (await badPassword.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();

        var passed = await (await client.PostAsync($"{Path}/{goodId}/test", null, Cancellation)).Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var failed = await (await client.PostAsync($"{Path}/{badId}/test", null, Cancellation)).Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.True(passed.GetProperty("succeeded").GetBoolean(), passed.GetProperty("message").GetString());
        Assert.False(failed.GetProperty("succeeded").GetBoolean());
        Assert.Equal($"The SFTP server {sftp.Host}:{sftp.Port} refused to sign in {sftp.User} with the password saved.", failed.GetProperty("message").GetString());
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var rows = await db.Destinations.AsNoTracking().Where(d => d.Id == goodId || d.Id == badId).ToListAsync(Cancellation);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.StartsWith("dp1:", row.ProtectedSecret, StringComparison.Ordinal);
            Assert.DoesNotContain(sftp.Password, row.ProtectedSecret + row.Settings + row.Target, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-password-123", row.ProtectedSecret + row.Settings + row.Target, StringComparison.Ordinal);
        });
        Assert.False(rows.Single(r => r.Id == badId).LastTestSucceeded);
    }

    [Fact]
    public async Task AnotherUsersDestinationIsNotFoundForReadTestAndDelete()
    {
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        using var owner = await portal.ApiClientForAsync(User("Olga Owner"));
        using var other = await portal.ApiClientForAsync(User("Ivan Intruder"));
        using var created = await owner.PostAsJsonAsync(Path, BlobBody(container.Name), Cancellation);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();

        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>(Path, Cancellation)).GetArrayLength());
        foreach (var response in new[]
        {
            await other.GetAsync($"{Path}/{id}", Cancellation),
            await other.PostAsync($"{Path}/{id}/test", null, Cancellation),
            await other.DeleteAsync($"{Path}/{id}", Cancellation),
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"{Path}/{id}", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task BadInputGetsAMessagePerField()
    {
        using var client = await portal.ApiClientForAsync(User("Vic Validation"));
        var sftp = StorageEngines.Sftp;

        var blob = await ErrorsAsync(client, new { name = "", kind = "azure-blob", connectionString = "not a connection string", container = "Bad_Name" });
        var sftpErrors = await ErrorsAsync(client, new
        {
            name = "x",
            kind = "sftp",
            host = "sftp://example.com/upload",
            port = 70000,
            username = "",
            password = "secret",
            privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----",
            hostKeyFingerprint = "SHA256:short",
            pathTemplate = "{format}/{nope}.{ext}",
        });
        var kind = await ErrorsAsync(client, new { name = "x", kind = "s3" });
        var sasExpired = await ErrorsAsync(client, new
        {
            name = "x",
            kind = "azure-blob",
            containerSasUrl = $"http://{sftp.Host}:10000/devstoreaccount1/reports?sv=2024-08-04&se=2020-01-01T00%3A00%3A00Z&sr=c&sp=rw&sig=abc",
        });

        Assert.Equal(["connectionString", "name"], blob.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("could not be read", blob["connectionString"][0], StringComparison.Ordinal);
        Assert.Contains("host", sftpErrors.Keys);
        Assert.Contains("port", sftpErrors.Keys);
        Assert.Contains("username", sftpErrors.Keys);
        Assert.Equal("Give either a password or a private key (one of them).", sftpErrors["password"][0]);
        Assert.Contains("hostKeyFingerprint", sftpErrors.Keys);
        Assert.StartsWith("Unknown placeholder {nope}", sftpErrors["pathTemplate"][0], StringComparison.Ordinal);
        Assert.Equal("Unknown kind 's3'; use azure-blob or sftp.", kind["kind"][0]);
        Assert.StartsWith("The SAS token expired on 2020-01-01 00:00:00Z", sasExpired["containerSasUrl"][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATurnedOffKindAndAHostOutsideTheAllowedOnesAreRefused()
    {
        await using var restricted = await PortalFactory.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Destinations:Kinds:0"] = "azure-blob",
            ["Destinations:AllowedHosts:0"] = "*.blob.core.windows.net",
        });
        using var client = await restricted.ApiClientForAsync(User("Rita Restricted"));

        var sftp = await ErrorsAsync(client, SftpBody("upload"));
        var blob = await ErrorsAsync(client, BlobBody("reports"));

        Assert.Equal("Destinations of kind sftp are turned off on this portal.", sftp["kind"][0]);
        Assert.StartsWith("The host 127.0.0.1 is not one the portal may deliver to; allowed: *.blob.core.windows.net", blob["connectionString"][0], StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, string[]>> ErrorsAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync(Path, body, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }
}
