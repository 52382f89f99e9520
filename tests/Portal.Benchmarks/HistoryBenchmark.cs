using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Data;
using Portal.Exports;
using Portal.Security;
using Portal.Testing;

namespace Portal.Benchmarks;

/// <summary>
/// The history grids over a full database: 1,000 users with 100 export requests each. Reports the time of
/// <see cref="IExportQueries.ListAsync"/> for a user's first page and for the admin grid with a filter and a sort, and
/// the whole HTTP response of the prerendered <c>/exports</c> and <c>/admin/exports</c> pages on Kestrel, signed in
/// through the development sign-in. The admin page reads no filter or sort from its address, so its page time is
/// that of its default first page (everyone's requests, newest first), whose query is measured as well.
/// Options: <c>--requests 100000 --users 1000 --provider Sqlite|PostgreSQL [--connection NPGSQL] --iterations 300
/// --page-iterations 100 --keep</c> (keeps the database to study); <c>--per-user</c> instead of <c>--requests</c> as before.
/// PostgreSQL uses a fresh database on <c>PORTAL_TEST_POSTGRES</c> unless given <c>--connection</c>, and is seeded with
/// binary COPY.
/// </summary>
public sealed partial class HistoryBenchmark : IBenchmark
{
    private const string Admin = "History Admin";

    // Tiered compilation optimises a method after about 30 calls: the measured calls run optimised code.
    private const int WarmUp = 50;

    public string Name => "history";

    public string Description => "first page of My exports and of the admin grid over 100,000 requests (--requests, --provider): query and page time";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var users = options.Number("users", 1_000);
        var perUser = options.Number("per-user", Math.Max(1, options.Number("requests", 100_000) / users));
        var provider = Enum.Parse<DatabaseProvider>(options.Value("provider") ?? "Sqlite", ignoreCase: true);
        if (options.Value("connection") is { } connection)
        {
            Environment.SetEnvironmentVariable(TestDatabases.PostgresVariable, connection);
        }
        var iterations = options.Number("iterations", 300);
        var pageIterations = options.Number("page-iterations", 100);
        var keep = args.Contains("--keep");

        var directory = Directory.CreateTempSubdirectory("portal-benchmark-history-").FullName;
        var databaseName = $"portal_history_{Guid.NewGuid():N}";
        try
        {
            await using var portal = new HistoryPortal(provider == DatabaseProvider.PostgreSQL
                ? TestDatabases.PostgreSqlSettings(databaseName)
                : new() { ["Database:Provider"] = "Sqlite", ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}" });
            portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            portal.StartServer();

            var watch = Stopwatch.StartNew();
            var seeded = await HistorySeed.FillAsync(portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), users, perUser, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# history: {provider}, {seeded.Requests} requests of {users} users, {seeded.Events} events, {seeded.Files} files, filled in {watch.Elapsed.TotalSeconds:F1} s"));

            var measuredUser = HistorySeed.OwnerName(0);
            using var scope = portal.Services.CreateScope();
            var service = scope.ServiceProvider.GetRequiredService<IExportQueries>();
            var user = new ExportUser(DevelopmentUserStore.IdFor(measuredUser), measuredUser, null, IsAdmin: false);
            var admin = new ExportUser(DevelopmentUserStore.IdFor(Admin), Admin, null, IsAdmin: true);
            var userQuery = new ExportQuery();
            var adminFiltered = new ExportQuery { AllUsers = true, Status = ExportStatus.Completed, SortBy = ExportSort.Owner, Descending = false };
            var adminDefault = new ExportQuery { AllUsers = true };

            var queries = new List<(string Name, double[] Times)>
            {
                ("my exports (default sort)", await TimeQueryAsync(service, user, userQuery, iterations, cancellationToken)),
                ("admin, status Completed, by owner", await TimeQueryAsync(service, admin, adminFiltered, iterations, cancellationToken)),
                ("admin, default (as the page asks)", await TimeQueryAsync(service, admin, adminDefault, iterations, cancellationToken)),
            };
            foreach (var (name, times) in queries)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"#   query {name,-36} p50 {Percentile(times, 0.5),7:F2} ms  p95 {Percentile(times, 0.95),7:F2} ms"));
            }

            var pageSize = userQuery.PageSize;
            using var userClient = portal.CreateClient();
            await SignInAsync(userClient, measuredUser, admin: false, cancellationToken);
            using var adminClient = portal.CreateClient();
            await SignInAsync(adminClient, Admin, admin: true, cancellationToken);
            var pages = new List<(string Name, double[] Times)>
            {
                ("/exports", await TimePageAsync(userClient, "/exports", pageSize, pageIterations, cancellationToken)),
                ("/admin/exports", await TimePageAsync(adminClient, "/admin/exports", pageSize, pageIterations, cancellationToken)),
            };
            foreach (var (name, times) in pages)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"#   page  {name,-36} p50 {Percentile(times, 0.5),7:F2} ms  p95 {Percentile(times, 0.95),7:F2} ms"));
            }

            // The summary line holds the slowest grid, so one figure says whether every grid meets its target.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"history: query_p50_ms={queries.Max(q => Percentile(q.Times, 0.5)):F2} query_p95_ms={queries.Max(q => Percentile(q.Times, 0.95)):F2} " +
                $"page_p50_ms={pages.Max(p => Percentile(p.Times, 0.5)):F2} page_p95_ms={pages.Max(p => Percentile(p.Times, 0.95)):F2}"));
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (keep)
            {
                Console.WriteLine($"# database kept in {(provider == DatabaseProvider.PostgreSQL ? databaseName : directory)}");
            }
            else
            {
                if (provider == DatabaseProvider.PostgreSQL)
                {
                    TestDatabases.DropPostgreSqlDatabase(databaseName);
                }
                DeleteDirectory(directory);
            }
        }
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<double[]> TimeQueryAsync(IExportQueries service, ExportUser user, ExportQuery query, int iterations, CancellationToken cancellationToken)
    {
        var first = await service.ListAsync(user, query, cancellationToken);
        if (first.Items.Count != query.PageSize)
        {
            throw new InvalidOperationException($"The query returned {first.Items.Count} rows of {first.TotalCount}, not a full page.");
        }
        for (var i = 0; i < WarmUp; i++)
        {
            await service.ListAsync(user, query, cancellationToken);
        }

        var times = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await service.ListAsync(user, query, cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times;
    }

    private static async Task<double[]> TimePageAsync(HttpClient client, string path, int pageSize, int iterations, CancellationToken cancellationToken)
    {
        // The grid loads in OnInitializedAsync, so the prerendered page carries its rows: check that it does.
        var html = await client.GetStringAsync(path, cancellationToken);
        var rows = ExportRow().Count(html);
        if (rows != pageSize)
        {
            throw new InvalidOperationException($"{path} prerendered {rows} export rows, not {pageSize}.");
        }
        for (var i = 0; i < WarmUp; i++)
        {
            await client.GetStringAsync(path, cancellationToken);
        }

        var times = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times;
    }

    internal static async Task SignInAsync(HttpClient client, string name, bool admin, CancellationToken cancellationToken)
    {
        var page = await client.GetStringAsync("/account/dev-signin", cancellationToken);
        var token = AntiforgeryInput().Match(page);
        if (!token.Success)
        {
            throw new InvalidOperationException("The development sign-in page has no antiforgery token.");
        }
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name,
            ["admin"] = admin ? "true" : "false",
            ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        });
        using var response = await client.PostAsync("/account/dev-signin", form, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    [GeneratedRegex("""data-testid="export-row"(?=[\s>])""")]
    private static partial Regex ExportRow();

    [GeneratedRegex(""""<input[^>]*name="__RequestVerificationToken"[^>]*value="([^"]+)"""")]
    private static partial Regex AntiforgeryInput();

    /// <summary>
    /// The portal in Development (so the development sign-in is on) over the benchmark's database, tracker off so
    /// nothing competes with the pages. Any type of the portal's assembly names its entry point; <c>Program</c>
    /// itself is ambiguous here, as the simulator has one too.
    /// </summary>
    internal sealed class HistoryPortal(Dictionary<string, string?> database) : WebApplicationFactory<PortalDbContext>
    {
        public HistoryPortal(string databasePath)
            : this(new Dictionary<string, string?> { ["ConnectionStrings:Portal"] = $"Data Source={databasePath}" })
        {
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in database)
            {
                builder.UseSetting(key, value);
            }
            builder.UseSetting("Tracking:Enabled", "false");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }

        // The factory looks for its manifest in the current directory, which is where `dotnet run` was started,
        // not the output folder; the portal's content root (its appsettings.json) is its project folder.
        protected override IHost CreateHost(IHostBuilder builder)
        {
            var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
            var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
            builder.UseContentRoot(roots[typeof(PortalDbContext).Assembly.FullName!]);
            return base.CreateHost(builder);
        }
    }
}
