using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Teams : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Team",
                table: "WebhookEndpoints",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastExportTeam",
                table: "UserSettings",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "TeamNotices",
                table: "UserSettings",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Team",
                table: "Schedules",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MaintainedTeams",
                table: "PortalUsers",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Teams",
                table: "PortalUsers",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Team",
                table: "ExportRequests",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Team",
                table: "Destinations",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ExportShares",
                columns: table => new
                {
                    ExportId = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    UserName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    UserEmail = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    SharedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    SharedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ExportShares", x => new { x.ExportId, x.UserId });
                    table.ForeignKey(
                        name: "FK_ExportShares_ExportRequests_ExportId",
                        column: x => x.ExportId,
                        principalTable: "ExportRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_WebhookEndpoints_Team",
                table: "WebhookEndpoints",
                column: "Team");

            migrationBuilder.CreateIndex(
                name: "IX_Schedules_Team",
                table: "Schedules",
                column: "Team");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Team_CreatedAt",
                table: "ExportRequests",
                columns: new[] { "Team", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Destinations_Team",
                table: "Destinations",
                column: "Team");

            migrationBuilder.CreateIndex(
                name: "IX_ExportShares_UserId_SharedAt",
                table: "ExportShares",
                columns: new[] { "UserId", "SharedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ExportShares");

            migrationBuilder.DropIndex(
                name: "IX_WebhookEndpoints_Team",
                table: "WebhookEndpoints");

            migrationBuilder.DropIndex(
                name: "IX_Schedules_Team",
                table: "Schedules");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Team_CreatedAt",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_Destinations_Team",
                table: "Destinations");

            migrationBuilder.DropColumn(
                name: "Team",
                table: "WebhookEndpoints");

            migrationBuilder.DropColumn(
                name: "LastExportTeam",
                table: "UserSettings");

            migrationBuilder.DropColumn(
                name: "TeamNotices",
                table: "UserSettings");

            migrationBuilder.DropColumn(
                name: "Team",
                table: "Schedules");

            migrationBuilder.DropColumn(
                name: "MaintainedTeams",
                table: "PortalUsers");

            migrationBuilder.DropColumn(
                name: "Teams",
                table: "PortalUsers");

            migrationBuilder.DropColumn(
                name: "Team",
                table: "ExportRequests");

            migrationBuilder.DropColumn(
                name: "Team",
                table: "Destinations");
        }
    }
}
