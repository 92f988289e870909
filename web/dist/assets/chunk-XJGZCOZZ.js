import{a,b,c,d}from"./chunk-GGI2FDT3.js";import"./chunk-YQAEVDDK.js";import"./chunk-4R54ERC6.js";export{a as INPUT_TYPES,d as Inputs,c as choicesOf,b as same};
