using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class UsersAndAllowances : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PortalUsers",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Email = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    LastSignInAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSignInWasAdmin = table.Column<bool>(type: "INTEGER", nullable: false),
                    TokensRevokedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TokensRevokedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PortalUsers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "UserAllowances",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DailyExports = table.Column<int>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserAllowances", x => x.UserId);
                });

            // Owners of tokens made before sign-ins were recorded: their tokens keep working, without the admin right,
            // until the owner has been away for Api:TokenOwnerIdleDays; their next sign-in records them as they are.
            migrationBuilder.Sql("""
                INSERT INTO "PortalUsers" ("Id", "Name", "Email", "LastSignInAt", "LastSignInWasAdmin")
                SELECT "OwnerId", MAX("OwnerName"), MAX("OwnerEmail"),
                       CAST((julianday('now') - 2440587.5) * 864000000000 AS INTEGER) + 621355968000000000, 0
                FROM "AccessTokens" GROUP BY "OwnerId";
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PortalUsers");

            migrationBuilder.DropTable(
                name: "UserAllowances");
        }
    }
}
