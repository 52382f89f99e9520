using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations.PostgreSql
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
                    Id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    LastSignInAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastSignInWasAdmin = table.Column<bool>(type: "boolean", nullable: false),
                    TokensRevokedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    TokensRevokedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PortalUsers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "UserAllowances",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    DailyExports = table.Column<int>(type: "integer", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserAllowances", x => x.UserId);
                });

            // Owners of tokens made before sign-ins were recorded: their tokens keep working, without the admin right,
            // until the owner has been away for Api:TokenOwnerIdleDays; their next sign-in records them as they are.
            migrationBuilder.Sql("""
                INSERT INTO "PortalUsers" ("Id", "Name", "Email", "LastSignInAt", "LastSignInWasAdmin")
                SELECT "OwnerId", MAX("OwnerName"), MAX("OwnerEmail"), now(), false
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
