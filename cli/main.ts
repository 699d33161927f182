// Placeholder entry point; the CLI is built out in cli/.
console.log('nedb');
