import { app } from "../../scripts/app.js";
app.registerExtension({ name: "v1_pack.hello" });
